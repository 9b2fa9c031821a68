from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    broker_pd_retention_days = fields.Integer(
        string="Personal Data Retention After Withdrawal (days)",
        default=30,
        help="After a client withdraws the personal data consent, their personal data is erased once this "
        "period is over (152-FZ art. 21 p. 5: within 30 days). Accounting documents are kept as the law requires "
        "(402-FZ art. 29).",
    )
