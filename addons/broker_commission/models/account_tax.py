from odoo import fields, models


class AccountTax(models.Model):
    _inherit = "account.tax"

    broker_ndfl = fields.Boolean(
        string="Personal Income Tax Withheld",
        help="Withholds personal income tax from individual partners' commissions (NK RF art. 224, 226): its "
        "lines make the monthly report of tax withheld.",
    )
