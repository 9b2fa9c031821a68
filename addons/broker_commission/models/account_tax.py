from odoo import fields, models
from odoo.tools import float_round


class AccountTax(models.Model):
    _inherit = "account.tax"

    broker_ndfl = fields.Boolean(
        string="Personal Income Tax Withheld",
        help="Withholds personal income tax from individual partners' commissions (NK RF art. 224, 226): its "
        "lines make the monthly report of tax withheld. Computed in full roubles (NK RF art. 52 p. 6).",
    )

    def _eval_tax_amount_price_excluded(self, batch, raw_base, evaluation_context):
        amount = super()._eval_tax_amount_price_excluded(batch, raw_base, evaluation_context)
        if self.broker_ndfl and amount is not None:
            # NK RF art. 52 p. 6: the tax is computed in full roubles, 50 kopecks and more count as a rouble
            return float_round(amount, precision_digits=0, rounding_method="HALF-UP")
        return amount
