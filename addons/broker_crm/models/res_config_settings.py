from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    broker_commission_rate = fields.Float(related="company_id.broker_commission_rate", readonly=False)
    broker_fee_product_id = fields.Many2one(related="company_id.broker_fee_product_id", readonly=False)
    broker_commission_product_id = fields.Many2one(related="company_id.broker_commission_product_id", readonly=False)
    broker_commission_auto_bill = fields.Boolean(related="company_id.broker_commission_auto_bill", readonly=False)
