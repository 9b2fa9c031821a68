from odoo import fields, models

from .broker_monitoring_subscription import REASONS

SIGNAL_TYPES = [
    ("application", "Credit application"),
    ("credit_issued", "Credit issued"),
    ("overdue", "Overdue payment"),
    ("credit_closed", "Credit closed"),
]
ACTIONS = [
    ("activity", "Activity for the owner"),
    ("win_back", "Reopen or create a deal"),
    ("mark_issued", "Mark credit issued, prompt the fee"),
    ("overdue_alert", "Overdue alert"),
    ("inbox", "Inbox only"),
    ("none", "Store only"),
]


class BrokerMonitoringRule(models.Model):
    _name = "broker.monitoring.rule"
    _description = "Monitoring Signal Routing Rule"
    _order = "reason, signal_type"

    active = fields.Boolean(default=True)
    signal_type = fields.Selection(SIGNAL_TYPES, required=True)
    reason = fields.Selection(REASONS, string="Subscription Reason", required=True)
    action = fields.Selection(ACTIONS, required=True, default="activity")
    deadline_days = fields.Integer(
        string="Deadline (days)", default=1, help="Days from the signal's arrival to the activity deadline."
    )
    note = fields.Char(string="Hint", translate=True, help="Added to the activity: what the broker should do.")

    _sql_constraints = [
        (
            "type_reason_uniq",
            "unique(signal_type, reason)",
            "There is already a rule for this signal type and subscription reason.",
        ),
    ]
