from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

PAID = ("paid", "in_payment")


class BrokerCommission(models.Model):
    """What a referral partner earns on one deal: the only place a commission amount is computed."""

    _name = "broker.commission"
    _description = "Partner Commission"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="restrict", index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", required=True, index=True, tracking=True,
                                 check_company=True)  # fmt: skip
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    client_invoice_id = fields.Many2one(related="lead_id.invoice_id", string="Client Invoice")
    client_payment_state = fields.Selection(related="lead_id.invoice_id.payment_state", string="Client Payment")
    act_signed_date = fields.Date(related="lead_id.act_signed_date")
    base_amount = fields.Monetary(
        string="Issued Credit", compute="_compute_base_amount", store=True, readonly=False, tracking=True
    )
    rate = fields.Float(string="Rate, %", digits=(5, 2), required=True, tracking=True)
    amount = fields.Monetary(compute="_compute_amount", store=True, tracking=True)
    cancelled = fields.Boolean(copy=False, readonly=True)
    bill_id = fields.Many2one("account.move", string="Partner Bill", copy=False, readonly=True, index=True)
    bill_payment_state = fields.Selection(related="bill_id.payment_state", string="Bill Payment")
    date_due = fields.Date(string="Due Since", copy=False, readonly=True)
    state = fields.Selection(
        [
            ("waiting", "Waiting"),
            ("due", "Due"),
            ("billed", "Billed"),
            ("paid", "Paid"),
            ("cancelled", "Cancelled"),
        ],
        compute="_compute_state",
        store=True,
        tracking=True,
        index=True,
        help="Waiting: the client has not paid the invoice in full or the signed act is missing. "
        "Due: both are there, the partner can be billed. Billed: the partner's bill exists. "
        "Paid: the partner's bill is paid.",
    )

    _sql_constraints = [
        ("lead_partner_uniq", "unique(lead_id, partner_id)", "A partner earns one commission per deal."),
        ("rate_range", "CHECK(rate >= 0 AND rate <= 100)", "The commission rate must be between 0 and 100%."),
        ("base_positive", "CHECK(base_amount >= 0)", "The issued credit amount cannot be negative."),
    ]

    @api.depends("lead_id.amount_issued")
    def _compute_base_amount(self):
        for commission in self:
            if commission.state in (False, "waiting", "due"):
                commission.base_amount = commission.lead_id.amount_issued

    @api.depends("base_amount", "rate", "currency_id")
    def _compute_amount(self):
        for commission in self:
            commission.amount = commission.currency_id.round(commission.base_amount * commission.rate / 100)

    @api.depends(
        "cancelled",
        "lead_id.act_signed_date",
        "lead_id.invoice_id.state",
        "lead_id.invoice_id.payment_state",
        "bill_id.state",
        "bill_id.payment_state",
    )
    def _compute_state(self):
        for commission in self:
            invoice = commission.lead_id.invoice_id
            bill = commission.bill_id.filtered(lambda b: b.state != "cancel")
            if bill and bill.payment_state in PAID:
                commission.state = "paid"
            elif commission.cancelled or invoice.state == "cancel" or invoice.payment_state == "reversed":
                commission.state = "cancelled"
            elif bill:
                commission.state = "billed"
            elif commission._is_earned():
                commission.state = "due"
            else:
                commission.state = "waiting"

    def _is_earned(self):
        """The client paid the broker's invoice in full and the signed act is back."""
        self.ensure_one()
        invoice = self.lead_id.invoice_id
        return bool(invoice.state == "posted" and invoice.payment_state in PAID and self.lead_id.act_signed_date)

    def write(self, vals):
        if {"rate", "base_amount", "partner_id"} & set(vals) and any(c.state not in ("waiting", "due") for c in self):
            raise UserError(self.env._("A billed, paid or cancelled commission cannot be changed."))
        return super().write(vals)

    # ------------------------------------------------------------------ sync
    def _sync(self):
        """Bring bills in line with the commissions' state; safe to run any number of times.

        Rows are locked with SKIP LOCKED: a commission another transaction is handling right now
        is left to it, so two concurrent runs never bill the same commission (the unique index on
        bill lines is the last guard).
        """
        if not self:
            return
        self.env.flush_all()
        self.env.cr.execute("SELECT id FROM broker_commission WHERE id IN %s FOR UPDATE SKIP LOCKED", [tuple(self.ids)])
        locked = self.browse([row[0] for row in self.env.cr.fetchall()])
        # another transaction may have billed them before we got the lock: read them again
        locked.invalidate_recordset()
        today = fields.Date.context_today(self)
        locked.filtered(lambda c: c.state == "due" and not c.date_due).date_due = today
        locked.filtered(lambda c: c.state == "waiting" and c.date_due).date_due = False

        to_bill = locked.filtered(lambda c: c.state == "due" and c.company_id.broker_commission_auto_bill)
        to_bill._create_bills()

        # the client's payment was taken back or the invoice reversed: undo bills not paid yet
        to_undo = locked.filtered(
            lambda c: c.state == "billed" and not c._is_earned() and c.bill_id.payment_state not in PAID
        )
        for bill in to_undo.bill_id:
            if bill.state == "draft":
                bill.button_cancel()
            else:
                bill._reverse_moves(
                    [{"ref": self.env._("Cancelled commission: the client's invoice is no longer paid")}], cancel=True
                )
        to_undo.filtered(lambda c: c.lead_id.invoice_id.payment_state == "reversed").cancelled = True

        # already paid to the partner although the client's invoice is reversed: tell the accountant
        for commission in locked.filtered(
            lambda c: c.state == "paid" and c.lead_id.invoice_id.payment_state in ("reversed", "not_paid")
        ):
            commission._alert_accountant()

    def _alert_accountant(self):
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        if self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type):
            return
        accountant = (
            self.env.ref("broker_crm.group_broker_accountant").users.filtered(
                lambda u: self.company_id in u.company_ids
            )[:1]
            or self.env.user
        )
        self.activity_schedule(
            activity_type_id=activity_type.id,
            summary=self.env._("Commission already paid, client invoice no longer paid"),
            note=self.env._(
                "The commission of %(partner)s on %(deal)s was paid, but the client's invoice %(invoice)s was "
                "reversed or unpaid. Agree a refund or an offset with the partner.",
                partner=self.partner_id.display_name,
                deal=self.lead_id.display_name,
                invoice=self.lead_id.invoice_id.display_name,
            ),
            user_id=accountant.id,
        )

    def _create_bills(self, group_by_partner=False):
        """One vendor bill per commission, or one per partner with a line per commission."""
        if not self:
            return self.env["account.move"]
        for commission in self:
            if commission.state != "due":
                raise UserError(self.env._("Commission %s is not due: it cannot be billed.", commission.display_name))
        groups = defaultdict(lambda: self.browse())
        for commission in self:
            key = (commission.company_id, commission.partner_id.commercial_partner_id)
            groups[key if group_by_partner else (key, commission.id)] |= commission
        vals_list, batches = [], []
        for commissions in groups.values():
            company = commissions.company_id
            product = company.broker_commission_product_id or self.env.ref(
                "broker_crm.product_partner_commission", raise_if_not_found=False
            )
            vals_list.append(
                {
                    "move_type": "in_invoice",
                    "company_id": company.id,
                    "partner_id": commissions.partner_id.commercial_partner_id.id,
                    "invoice_date": fields.Date.context_today(self),
                    "ref": ", ".join(commissions.lead_id.mapped("name")),
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": product.id if product else False,
                                "name": self.env._(
                                    "Commission %(rate)s%% on credit %(amount)s, deal %(deal)s",
                                    rate=commission.rate,
                                    amount=commission.base_amount,
                                    deal=commission.lead_id.name,
                                ),
                                "quantity": 1,
                                "price_unit": commission.amount,
                                "tax_ids": [fields.Command.clear()],
                                "broker_commission_id": commission.id,
                            }
                        )
                        for commission in commissions
                    ],
                }
            )
            batches.append(commissions)
        # sudo: creating the bill is the accounting side of a commission the user may handle
        moves = self.env["account.move"].sudo().create(vals_list)
        for move, commissions in zip(moves, batches, strict=True):
            commissions.bill_id = move
        return moves

    def action_cancel(self):
        if any(c.state == "paid" for c in self):
            raise UserError(self.env._("A paid commission cannot be cancelled."))
        self.bill_id.filtered(lambda b: b.state == "draft").button_cancel()
        self.cancelled = True

    def action_view_bill(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.bill_id.id,
            "view_mode": "form",
        }

    @api.model
    def _cron_sync(self):
        self.search([("state", "in", ("due", "billed", "paid"))])._sync()
