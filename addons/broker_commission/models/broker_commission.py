from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

PAID = ("paid", "in_payment")
# Personal income tax withheld from individuals (NK RF art. 224 p. 1 since 2025): 13% of the year's
# income from the broker up to this amount, 15% of the part above it.
NDFL_THRESHOLD = 2_400_000


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
    bill_line_ids = fields.One2many("account.move.line", "broker_commission_id", string="Bill Lines", readonly=True)
    tax_withheld = fields.Monetary(
        compute="_compute_tax_withheld",
        store=True,
        help="Personal income tax withheld from an individual partner on the bill (NK RF art. 224, 226).",
    )
    amount_net = fields.Monetary(
        string="Net Payable", compute="_compute_tax_withheld", store=True, help="The commission less the tax withheld."
    )
    payout_kind = fields.Selection(
        [("gross", "Full amount"), ("receipt", "Full amount, receipt required"), ("withholding", "Tax withheld")],
        string="Payout",
        compute="_compute_payout_kind",
        help="From the partner's tax status: companies and sole traders are paid the full amount, the "
        "self-employed too against a «Мой налог» receipt, individuals net of the income tax withheld.",
    )
    bill_payment_state = fields.Selection(related="bill_id.payment_state", string="Bill Payment")
    date_due = fields.Date(string="Due Since", copy=False, readonly=True)
    # the self-employed partner's receipt from «Мой налог» for the payment (422-FZ art. 14)
    receipt_number = fields.Char(string="Receipt No.", tracking=True, copy=False)
    receipt_date = fields.Date(tracking=True, copy=False)
    receipt_url = fields.Char(string="Receipt Link", tracking=True, copy=False)
    receipt_scan = fields.Binary(attachment=True, copy=False)
    receipt_scan_name = fields.Char(copy=False)
    receipt_missing = fields.Boolean(
        compute="_compute_receipt_missing",
        store=True,
        help="The partner is self-employed and the «Мой налог» receipt (number, date, and a link or a scan) is "
        "not recorded yet (422-FZ art. 14: issued by the 9th of the month after a bank payment).",
    )
    partner_npd_lost = fields.Boolean(
        string="Self-Employed Status Lost",
        compute="_compute_partner_npd_lost",
        help="The tax service's last check says the partner is no longer self-employed.",
    )
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

    @api.depends("amount", "bill_line_ids.price_total", "bill_line_ids.price_subtotal", "bill_line_ids.parent_state")
    def _compute_tax_withheld(self):
        for commission in self:
            lines = commission.bill_line_ids.filtered(lambda line: line.parent_state != "cancel")
            withheld = commission.currency_id.round(
                sum(lines.mapped("price_subtotal")) - sum(lines.mapped("price_total"))
            )
            commission.tax_withheld = withheld
            commission.amount_net = commission.amount - withheld

    @api.depends(
        "partner_id.commercial_partner_id.broker_tax_status",
        "receipt_number",
        "receipt_date",
        "receipt_url",
        "receipt_scan",
        "state",
    )
    def _compute_receipt_missing(self):
        for commission in self:
            recorded = (
                commission.receipt_number
                and commission.receipt_date
                and (commission.receipt_url or commission.receipt_scan)
            )
            commission.receipt_missing = bool(
                commission.state not in ("waiting", "cancelled")
                and commission.partner_id
                and commission.partner_id._broker_payout_kind() == "receipt"
                and not recorded
            )

    @api.depends("partner_id")
    def _compute_partner_npd_lost(self):
        for commission in self:
            # sudo: the accountants' fields of the partner, read for the commission's form
            entity = commission.partner_id.sudo().commercial_partner_id
            commission.partner_npd_lost = bool(
                entity.broker_tax_status == "self_employed"
                and entity.broker_tax_status_checked_on
                and not entity.broker_npd_valid
            )

    @api.depends("partner_id")
    def _compute_payout_kind(self):
        for commission in self:
            commission.payout_kind = commission.partner_id._broker_payout_kind() if commission.partner_id else "gross"

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

        # the self-employed are billed by the accountant, after the tax service's status check
        to_bill = locked.filtered(
            lambda c: c.state == "due" and c.company_id.broker_commission_auto_bill and c.payout_kind != "receipt"
        )
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
        accountant = self._accountant()
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
        today = fields.Date.context_today(self)
        for partner in self.partner_id.commercial_partner_id.filtered(lambda p: p._broker_payout_kind() == "receipt"):
            # sudo: the result of today's status check, recorded by _broker_check_npd_status
            checked = partner.sudo()
            if checked.broker_tax_status_checked_on != today or not checked.broker_npd_valid:
                raise UserError(
                    self.env._(
                        "The self-employed status of %(partner)s is not confirmed by the tax service today: "
                        "check it before billing (422-FZ).",
                        partner=partner.display_name,
                    )
                )
        groups = defaultdict(lambda: self.browse())
        for commission in self:
            key = (commission.company_id, commission.partner_id.commercial_partner_id)
            groups[key if group_by_partner else (key, commission.id)] |= commission
        vals_list, batches = [], []
        # partner -> income already billed this year with withholding, running within this batch
        yearly = self._ndfl_income_billed_by_partner(
            self.partner_id.commercial_partner_id.filtered(lambda p: p._broker_payout_kind() == "withholding"),
            today.year,
        )
        for commissions in groups.values():
            company = commissions.company_id
            partner = commissions.partner_id.commercial_partner_id
            product = company.broker_commission_product_id or self.env.ref(
                "broker_commission.product_partner_commission", raise_if_not_found=False
            )
            lines = []
            for commission in commissions:
                line = {
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
                if partner._broker_payout_kind() == "withholding":
                    lines += commission._ndfl_lines(line, yearly[partner])
                    yearly[partner] += commission.amount
                else:
                    lines.append(line)
            vals_list.append(
                {
                    "move_type": "in_invoice",
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "invoice_date": today,
                    "ref": ", ".join(commissions.lead_id.mapped("name")),
                    "invoice_line_ids": [fields.Command.create(vals) for vals in lines],
                }
            )
            batches.append(commissions)
        # sudo: creating the bill is the accounting side of a commission the user may handle
        moves = self.env["account.move"].sudo().create(vals_list)
        for move, commissions in zip(moves, batches, strict=True):
            commissions.bill_id = move
        return moves

    @api.model
    def _ndfl_income_billed(self, partner, year):
        """The partner's income from the broker billed with withholding in the calendar year so far."""
        return self._ndfl_income_billed_by_partner(partner, year)[partner]

    @api.model
    def _ndfl_income_billed_by_partner(self, partners, year):
        """{partner: income billed with withholding in the calendar year so far}, in one query."""
        totals = defaultdict(float)
        if not partners:
            return totals
        # sudo: the yearly totals of the partners' withheld-tax bills, whoever bills now
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("broker_commission_id", "!=", False),
                    ("parent_state", "!=", "cancel"),
                    ("move_id.partner_id", "in", partners.ids),
                    ("move_id.invoice_date", ">=", f"{year}-01-01"),
                    ("move_id.invoice_date", "<=", f"{year}-12-31"),
                    ("tax_ids.broker_ndfl", "=", True),
                ]
            )
        )
        for line in lines:
            totals[line.move_id.partner_id] += line.price_subtotal
        return totals

    def _ndfl_lines(self, line, income_before):
        """The bill line(s) of an individual's commission with the income tax withheld: 13% up to the
        yearly threshold, 15% above it; a commission crossing it is split in two lines (NK RF art. 224)."""
        self.ensure_one()
        tax_low, tax_high = self.company_id._broker_ndfl_taxes()
        below = self.currency_id.round(max(min(self.amount, NDFL_THRESHOLD - income_before), 0))
        above = self.currency_id.round(self.amount - below)
        lines = []
        if below:
            lines.append(dict(line, price_unit=below, tax_ids=[fields.Command.set(tax_low.ids)]))
        if above:
            lines.append(
                dict(
                    line,
                    price_unit=above,
                    tax_ids=[fields.Command.set(tax_high.ids)],
                    broker_ndfl_above_threshold=True,
                    name=self.env._(
                        "%(line)s: part above %(threshold)s of the year's income",
                        line=line["name"],
                        threshold=NDFL_THRESHOLD,
                    ),
                )
            )
        return lines

    def _broker_check_billing_role(self):
        if not self.env.user.has_group("broker_crm.group_broker_accountant") and not self.env.user.has_group(
            "broker_crm.group_broker_manager"
        ):
            raise AccessError(self.env._("Only an accountant or a broker manager bills partner commissions."))

    def _prepare_billing(self):
        """The commissions that may be billed now: the self-employed partners' status is checked with the
        tax service first (once a day); those who lost it are left due, with a task for the accountant."""
        today = fields.Date.context_today(self)
        # sudo: the accountants' fields of the partners, to know whom to check today
        partners = self.partner_id.commercial_partner_id.sudo().filtered(
            lambda p: p.broker_tax_status == "self_employed" and p.broker_tax_status_checked_on != today
        )
        partners.with_env(self.env)._broker_check_npd_status()
        lost = self.filtered("partner_npd_lost")
        for commission in lost:
            commission._alert_npd_lost()
        return self - lost

    def _alert_npd_lost(self):
        self.ensure_one()
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        summary = self.env._("Partner no longer self-employed: confirm billing as an individual")
        if self.activity_ids.filtered(lambda a: a.summary == summary):
            return
        self.activity_schedule(
            activity_type_id=activity_type.id,
            summary=summary,
            note=self.env._(
                "According to the tax service, %(partner)s is no longer self-employed. Confirm with «Bill as "
                "Individual» to pay the commission with income tax withheld (NK RF art. 226), or correct the "
                "partner's status.",
                partner=self.partner_id.commercial_partner_id.display_name,
            ),
            user_id=self._accountant().id,
        )

    def _accountant(self):
        return (
            self.env.ref("broker_crm.group_broker_accountant").users.filtered(
                lambda u: self.company_id in u.company_ids
            )[:1]
            or self.env.user
        )

    def action_bill(self):
        """Bill due commissions one per bill, after the status check of the self-employed."""
        self._broker_check_billing_role()
        due = self.filtered(lambda c: c.state == "due")
        if not due:
            raise UserError(self.env._("No due commission to bill."))
        billable = due._prepare_billing()
        if not billable:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "sticky": True,
                    "message": self.env._(
                        "Not billed: the partner is no longer self-employed. Confirm «Bill as Individual»."
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        billable._create_bills()
        return True

    def action_bill_as_individual(self):
        """The accountant confirms that a partner who lost the self-employed status is billed as an
        individual, with income tax withheld."""
        self._broker_check_billing_role()
        lost = self.filtered(lambda c: c.state == "due" and c.partner_npd_lost)
        if not lost:
            raise UserError(self.env._("The tax service did not report a lost self-employed status for these."))
        lost.partner_id.commercial_partner_id._broker_bill_as_individual()
        self.env.invalidate_all()
        lost._create_bills()
        lost.activity_ids.action_feedback(feedback=self.env._("Billed as an individual."))
        return True

    def _statement_month(self):
        self.ensure_one()
        return self.date_due or fields.Date.to_date(self.create_date)

    def _statement_months(self):
        """[(month "MM.YYYY", commissions)] in date order: the partner statement's months."""
        months = defaultdict(lambda: self.browse())
        for commission in self.sorted(lambda c: (c._statement_month(), c.id)):
            months[commission._statement_month().strftime("%m.%Y")] |= commission
        return list(months.items())

    def _period(self):
        """(first, last) day of the months the commissions fall in: the period of a partner's act."""
        dates = [commission._statement_month() for commission in self]
        return min(dates).replace(day=1), max(dates) + relativedelta(day=31)

    def _payment_date(self):
        self.ensure_one()
        payable = self.bill_id.line_ids.filtered(lambda line: line.account_id.account_type == "liability_payable")
        dates = payable.matched_debit_ids.mapped("max_date")
        return max(dates) if dates else self.bill_id.invoice_date

    @api.model
    def _cron_missing_receipts(self):
        """Paid commissions of the self-employed without their «Мой налог» receipt: the accountant gets one task,
        due on the 9th of the month after the payment (422-FZ art. 14 p. 3); safe to run any number of times."""
        activity_type = self.env.ref("broker_commission.mail_activity_type_missing_receipt")
        commissions = self.search([("state", "=", "paid"), ("receipt_missing", "=", True)])
        done = set(
            self.env["mail.activity"]
            .search([("res_model", "=", self._name), ("res_id", "in", commissions.ids),
                     ("activity_type_id", "=", activity_type.id)])
            .mapped("res_id")
        )  # fmt: skip
        for commission in commissions.filtered(lambda c: c.id not in done):
            paid_on = commission._payment_date()
            commission.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=paid_on.replace(day=1) + relativedelta(months=1, day=9),
                summary=self.env._("«Мой налог» receipt missing"),
                note=self.env._(
                    "%(partner)s was paid on %(date)s: ask for the «Мой налог» receipt and record it on the "
                    "commission by the 9th of the next month (422-FZ art. 14).",
                    partner=commission.partner_id.commercial_partner_id.display_name,
                    date=paid_on,
                ),
                user_id=commission._accountant().id,
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        # A billed or paid commission is the basis of the partner's bill and of the tax withheld: it is
        # cancelled (the bill reversed), never deleted, whoever asks.
        if any(c.state in ("billed", "paid") or c.bill_line_ids for c in self):
            raise UserError(self.env._("A billed or paid commission cannot be deleted: cancel it instead."))

    def action_cancel(self):
        self.check_access("write")
        if any(c.state == "paid" for c in self):
            raise UserError(self.env._("A paid commission cannot be cancelled."))
        if self.bill_id.filtered(lambda b: b.state == "posted" and b.payment_state != "reversed"):
            raise UserError(
                self.env._("The partner's bill is posted: reset it to draft or reverse it before cancelling.")
            )
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
