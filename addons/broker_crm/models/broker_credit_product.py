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

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of a credit product must be unique."),
    ]
