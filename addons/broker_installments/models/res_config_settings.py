from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    installment_payment_url = fields.Char(related="company_id.installment_payment_url", readonly=False)
    installment_reviews_url = fields.Char(related="company_id.installment_reviews_url", readonly=False)
    installment_contacts = fields.Char(related="company_id.installment_contacts", readonly=False)
