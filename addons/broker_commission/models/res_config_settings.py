from odoo import fields, models

from ..tools.npd_status import DEFAULT_TIMEOUT, DEFAULT_URL


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    broker_commission_rate = fields.Float(related="company_id.broker_commission_rate", readonly=False)
    broker_fee_product_id = fields.Many2one(related="company_id.broker_fee_product_id", readonly=False)
    broker_commission_product_id = fields.Many2one(related="company_id.broker_commission_product_id", readonly=False)
    broker_commission_auto_bill = fields.Boolean(related="company_id.broker_commission_auto_bill", readonly=False)
    broker_ndfl_account_id = fields.Many2one(related="company_id.broker_ndfl_account_id", readonly=False)
    broker_ndfl_tax_id = fields.Many2one(related="company_id.broker_ndfl_tax_id", readonly=False)
    broker_ndfl_tax_high_id = fields.Many2one(related="company_id.broker_ndfl_tax_high_id", readonly=False)
    broker_npd_status_url = fields.Char(
        string="Self-Employed Status Check URL",
        config_parameter="broker_commission.npd_status_url",
        default=DEFAULT_URL,
        help="The tax service's public check of the self-employed status by INN (422-FZ).",
    )
    broker_npd_status_timeout = fields.Float(
        string="Status Check Timeout (s)",
        config_parameter="broker_commission.npd_status_timeout",
        default=DEFAULT_TIMEOUT,
    )
