from odoo import fields, models


class BrokerDocumentType(models.Model):
    _name = "broker.document.type"
    _description = "Client Document Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True, help="Which document or statement to ask the client for.")
