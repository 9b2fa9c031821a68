from odoo import fields, models


class BrokerLeadStopFactor(models.Model):
    _name = "broker.lead.stop.factor"
    _description = "Stop-Factor Found on a Deal"
    _order = "lead_id, id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    stop_factor_id = fields.Many2one("broker.stop.factor", string="Stop-Factor", required=True, ondelete="restrict")
    resolved = fields.Boolean(help="The stop-factor no longer prevents the credit (e.g. the debt was repaid).")
    note = fields.Char()

    _sql_constraints = [
        ("lead_stop_factor_uniq", "unique(lead_id, stop_factor_id)", "This stop-factor is already recorded."),
    ]
