from odoo import fields, models


class BrokerCadenceStep(models.Model):
    _name = "broker.cadence.step"
    _description = "Call-back Cadence Step"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    activity_type_id = fields.Many2one("mail.activity.type", required=True, ondelete="restrict")
    day_offset = fields.Integer(string="Day", help="Days after the unanswered call (0: the same day).")
    hour_offset = fields.Integer(string="Hours Later", help="Hours after the unanswered call, for same-day steps.")
    summary = fields.Char(translate=True)
    assignee = fields.Selection(
        [("owner", "Lead owner"), ("channel", "Channel responsible")],
        default="owner",
        required=True,
        help="Channel responsible: the lead goes back to its source to check the contacts.",
    )

    _sql_constraints = [
        ("offsets_positive", "CHECK(day_offset >= 0 AND hour_offset >= 0)", "Offsets cannot be negative."),
    ]
