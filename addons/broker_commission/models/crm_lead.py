from odoo import api, fields, models
from odoo.exceptions import UserError

# The invoice and the signed act decide what the client is invoiced and what the partner earns:
# only managers and accountants set them (broker_crm's money guard).
INVOICE_MONEY_FIELDS = ("invoice_id", "act_signed_date", "act_signed_scan")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    fee_amount = fields.Monetary(
        string="Broker Fee",
        currency_field="company_currency",
        compute="_compute_fee_amount",
        help="Invoiced to the client: the fee percentage of the issued credit plus the fixed fee.",
    )
    invoice_id = fields.Many2one("account.move", string="Client Invoice", copy=False, readonly=True, tracking=True)
    invoice_payment_state = fields.Selection(related="invoice_id.payment_state", string="Invoice Payment")
    act_signed_date = fields.Date(string="Signed Act Received", tracking=True, copy=False)
    act_signed_scan = fields.Binary(string="Signed Act", attachment=True, copy=False)
    act_signed_scan_name = fields.Char(copy=False)
    commission_ids = fields.One2many("broker.commission", "lead_id", string="Commissions")
    commission_amount = fields.Monetary(
        string="Partner Commission",
        currency_field="company_currency",
        compute="_compute_commission_amount",
        compute_sudo=True,
    )
    commission_state = fields.Selection(related="commission_ids.state", string="Commission Status")

    @api.depends("amount_issued", "fee_percent", "fee_fixed")
    def _compute_fee_amount(self):
        for lead in self:
            lead.fee_amount = lead.company_currency.round(lead.amount_issued * lead.fee_percent / 100 + lead.fee_fixed)

    @api.depends("commission_ids.amount", "commission_ids.state")
    def _compute_commission_amount(self):
        # shown to agents read-only; the amount itself comes from the commission model
        for lead in self:
            lead.commission_amount = sum(
                lead.commission_ids.filtered(lambda c: c.state != "cancelled").mapped("amount")
            )

    def _broker_has_commission(self):
        # sudo: agents cannot read commissions, but must know that the figures are frozen
        return super()._broker_has_commission() or bool(
            self.sudo().commission_ids.filtered(lambda c: c.state != "cancelled")
        )

    @api.model
    def _broker_money_fields(self):
        return super()._broker_money_fields() + INVOICE_MONEY_FIELDS

    @api.model
    def _broker_scan_fields(self):
        return super()._broker_scan_fields() + ("act_signed_scan",)

    def write(self, vals):
        res = super().write(vals)
        if "act_signed_date" in vals:
            # sudo: agents record the signed act; the commission it makes due is the accountants' side
            self.sudo().commission_ids._sync()
        return res

    def action_create_invoice(self):
        """The client's invoice for the broker fee, once the credit is issued."""
        self.ensure_one()
        self._broker_check_money_role()
        if self.invoice_id and self.invoice_id.state != "cancel":
            raise UserError(self.env._("Deal %s already has an invoice.", self.display_name))
        if not self.amount_issued or not self.date_issued:
            raise UserError(self.env._("Record the issued amount and date of deal %s first.", self.display_name))
        if self.fee_amount <= 0:
            raise UserError(self.env._("The broker fee of deal %s is zero: set the fee terms.", self.display_name))
        if not self.partner_id:
            # sudo: accountants only read deals; the client contact is made from the deal's own
            # client data, which is what the invoice is addressed to
            self.sudo()._handle_partner_assignment(create_missing=True)
        company = self.company_id or self.env.company
        product = company.broker_fee_product_id or self.env.ref("broker_commission.product_broker_fee")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": company.id,
                "partner_id": self.partner_id.id,
                "invoice_origin": self.name,
                "ref": self.contract_number or self.name,
                "invoice_line_ids": [
                    fields.Command.create(
                        {
                            "product_id": product.id,
                            "name": self.env._(
                                "Credit brokerage under contract %(contract)s: credit of %(amount)s issued on %(date)s",
                                contract=self.contract_number or "-",
                                amount=self.amount_issued,
                                date=self.date_issued,
                            ),
                            "quantity": 1,
                            "price_unit": self.fee_amount,
                            "tax_ids": [fields.Command.set(product.taxes_id.ids)],
                        }
                    )
                ],
            }
        )
        # sudo: accountants only read deals; the link to the invoice just created is their side of it
        self.sudo().invoice_id = invoice
        self._ensure_commission()
        return {"type": "ir.actions.act_window", "res_model": "account.move", "res_id": invoice.id, "view_mode": "form"}

    def action_open_act_signed(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Signed Act Received"),
            "res_model": "broker.act.signed",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_id": self.id},
        }

    def _ensure_commission(self):
        """One commission per deal and referral partner, at the partner's rate."""
        vals_list = []
        for lead in self.filtered("referral_partner_id"):
            partner = lead.referral_partner_id
            if partner not in lead.commission_ids.partner_id:
                vals_list.append(
                    {
                        "lead_id": lead.id,
                        "partner_id": partner.id,
                        "company_id": (lead.company_id or self.env.company).id,
                        "rate": partner._broker_commission_rate(),
                    }
                )
        # sudo: the commission is accountants' data, created as a consequence of invoicing the deal
        return self.env["broker.commission"].sudo().create(vals_list)
