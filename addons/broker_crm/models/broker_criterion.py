from odoo import fields, models


class BrokerCriterion(models.Model):
    _name = "broker.criterion"
    _description = "Borrower Eligibility Criterion"
    _order = "product_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    product_id = fields.Many2one("broker.credit.product", string="Credit Product", required=True, ondelete="cascade")
    description = fields.Text(translate=True, help="How to check the criterion with the client.")
