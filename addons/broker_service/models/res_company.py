from odoo import fields, models

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    broker_first_response_minutes = fields.Integer(
        string="First Response Target (min)",
        default=5,
        help="A new request must get its first contact within this time; later ones escalate to the team leader.",
    )
    broker_quiet_day_enabled = fields.Boolean(
        string="Quiet Day",
        default=True,
        help="Automatically planned client contacts are not planned on this weekday, unless the client "
        "contacted us that day.",
    )
    broker_quiet_weekday = fields.Selection(WEEKDAYS, string="Quiet Weekday", default="0")
