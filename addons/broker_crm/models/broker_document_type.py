from odoo import fields, models


class BrokerDocumentType(models.Model):
    _name = "broker.document.type"
    _description = "Client Document Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True, help="Which document or statement to ask the client for.")
    validity_days = fields.Integer(
        string="Valid For (days)",
        help="How long the document is accepted after it was issued, e.g. 30 days for an income certificate or a "
        "bank statement. Leave 0 when it has no such limit; a document valid until a date written on it (a "
        "passport) gets that date on the deal.",
    )
