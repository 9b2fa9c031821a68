from odoo import fields, models


class BrokerCreditProduct(models.Model):
    _name = "broker.credit.product"
    _description = "Credit Product"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    code = fields.Char()
    description = fields.Html(translate=True)
    criterion_ids = fields.One2many("broker.criterion", "product_id", string="Eligibility Criteria")
    document_type_ids = fields.Many2many("broker.document.type", string="Required Documents")
    fee_percent = fields.Float(
        string="Fee, % of Issued Credit", digits=(5, 2), help="Default broker fee for new deals of this product."
    )
    fee_fixed = fields.Monetary(string="Fixed Fee", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id, required=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of a credit product must be unique."),
        ("fee_percent_range", "CHECK(fee_percent >= 0 AND fee_percent <= 100)", "The fee must be between 0 and 100%."),
        ("fee_fixed_positive", "CHECK(fee_fixed >= 0)", "The fixed fee cannot be negative."),
    ]
