from odoo import fields, models


class BrokerStopFactor(models.Model):
    _name = "broker.stop.factor"
    _description = "Stop-Factor"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True, help="What to look for and how it can be resolved.")
