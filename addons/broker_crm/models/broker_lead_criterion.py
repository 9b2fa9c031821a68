from odoo import fields, models


class BrokerLeadCriterion(models.Model):
    _name = "broker.lead.criterion"
    _description = "Pre-Analysis Criterion Check"
    _order = "lead_id, sequence, id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    criterion_id = fields.Many2one("broker.criterion", required=True, ondelete="restrict")
    sequence = fields.Integer(related="criterion_id.sequence", store=True)
    result = fields.Selection(
        [("todo", "Not checked"), ("pass", "Met"), ("fail", "Not met")],
        required=True,
        default="todo",
    )
    note = fields.Char()

    _sql_constraints = [
        ("lead_criterion_uniq", "unique(lead_id, criterion_id)", "Each criterion is checked once per deal."),
    ]
