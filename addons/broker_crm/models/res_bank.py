from odoo import fields, models


class ResBank(models.Model):
    _inherit = "res.bank"

    broker_decision_days = fields.Integer(
        string="Decision Time (working days)",
        default=5,
        help="How many working days the bank usually takes to decide on an application: the expected decision "
        "date of a new application is counted from it on the company's working calendar.",
    )
    broker_approval_valid_days = fields.Integer(
        string="Approval Valid (days)",
        default=30,
        help="How many days an approval of this bank stays valid: the executor is warned a week before it lapses.",
    )
    broker_document_type_ids = fields.Many2many(
        "broker.document.type",
        "res_bank_broker_document_type_rel",
        "bank_id",
        "document_type_id",
        string="Documents the Bank Requires",
        help="Added to the deal's checklist when an application to this bank is created; they must be received "
        "and still valid to submit the application.",
    )
