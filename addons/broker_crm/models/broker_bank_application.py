from odoo import api, fields, models


class BrokerBankApplication(models.Model):
    _name = "broker.bank.application"
    _description = "Credit Application to a Bank"
    _order = "lead_id, date_submitted desc, id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    bank_id = fields.Many2one("res.bank", required=True)
    state = fields.Selection(
        [
            ("draft", "Preparing"),
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("refused", "Refused"),
            ("withdrawn", "Withdrawn"),
        ],
        required=True,
        default="draft",
    )
    date_submitted = fields.Date(string="Submitted On")
    date_decision = fields.Date(string="Decision Date")
    amount_approved = fields.Monetary(string="Approved Amount", currency_field="currency_id")
    currency_id = fields.Many2one(related="lead_id.company_currency")
    note = fields.Char()

    _sql_constraints = [
        ("amount_approved_positive", "CHECK(amount_approved >= 0)", "The approved amount cannot be negative."),
    ]

    @api.onchange("state")
    def _onchange_state(self):
        if self.state in ("approved", "refused") and not self.date_decision:
            self.date_decision = fields.Date.context_today(self)
        if self.state == "submitted" and not self.date_submitted:
            self.date_submitted = fields.Date.context_today(self)
