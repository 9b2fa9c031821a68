from odoo import fields, models
from odoo.exceptions import UserError


class BrokerActSigned(models.TransientModel):
    _name = "broker.act.signed"
    _description = "Record the Signed Act"

    lead_id = fields.Many2one("crm.lead", required=True, readonly=True)
    date = fields.Date(string="Received On", required=True, default=fields.Date.context_today)
    scan = fields.Binary(string="Signed Act Scan", required=True)
    scan_name = fields.Char()

    def action_confirm(self):
        self.ensure_one()
        lead = self.lead_id
        lead.check_access("read")
        lead._broker_check_money_role()
        if not lead.invoice_id:
            raise UserError(self.env._("Deal %s has no invoice yet: issue the act with the invoice first.", lead.name))
        if self.date > fields.Date.context_today(self):
            raise UserError(self.env._("The signed act cannot be received in the future."))
        # sudo: accountants only read deals; this records just the act, which is their side of the deal
        lead.sudo().write(
            {"act_signed_date": self.date, "act_signed_scan": self.scan, "act_signed_scan_name": self.scan_name}
        )
        return {"type": "ir.actions.act_window_close"}
