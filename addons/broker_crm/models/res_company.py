from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    broker_commission_rate = fields.Float(
        string="Partner Commission, %",
        digits=(5, 2),
        default=2.5,
        help="Share of the issued credit paid to the referral partner once the client has paid "
        "the broker's invoice and the signed act is back.",
    )
    broker_fee_product_id = fields.Many2one(
        "product.product", string="Broker Fee Service", help="Service invoiced to the client for the broker's work."
    )
    broker_commission_product_id = fields.Many2one(
        "product.product", string="Partner Commission Service", help="Service billed by referral partners."
    )
    broker_commission_auto_bill = fields.Boolean(
        string="Bill Commissions Automatically",
        default=True,
        help="Create the partner's bill as soon as a commission is due. Otherwise accountants "
        "bill due commissions per partner and period.",
    )
    broker_pd_retention_days = fields.Integer(
        string="Personal Data Retention After Withdrawal (days)",
        default=30,
        help="After a client withdraws the personal data consent, their personal data is erased once this "
        "period is over (152-FZ art. 21 p. 5: within 30 days). Accounting documents are kept as the law requires "
        "(402-FZ art. 29).",
    )
