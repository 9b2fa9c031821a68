from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    broker_first_response_minutes = fields.Integer(related="company_id.broker_first_response_minutes", readonly=False)
    broker_quiet_day_enabled = fields.Boolean(related="company_id.broker_quiet_day_enabled", readonly=False)
    broker_quiet_weekday = fields.Selection(related="company_id.broker_quiet_weekday", readonly=False)
