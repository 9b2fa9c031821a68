from odoo import fields, models


class BrokerMonitoringRejection(models.Model):
    _name = "broker.monitoring.rejection"
    _description = "Rejected Bureau Signal"
    _order = "id desc"

    run_id = fields.Many2one("broker.monitoring.run", required=True, index=True, ondelete="cascade")
    provider_id = fields.Many2one(related="run_id.provider_id", store=True)
    external_id = fields.Char(string="External ID")
    reason = fields.Char(required=True)
    raw = fields.Text(string="Raw Data")
