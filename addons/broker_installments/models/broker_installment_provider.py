from odoo import fields, models


class BrokerInstallmentProvider(models.Model):
    _name = "broker.installment.provider"
    _description = "Installment Provider"
    _order = "sequence, id"

    name = fields.Char(required=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of an installment provider must be unique."),
    ]
