from odoo import api, fields, models

from .broker_installment_application import STATUSES


class BrokerInstallmentStatusRule(models.Model):
    """What happens when an application enters a status: the manager's task and the customer's letter."""

    _name = "broker.installment.status.rule"
    _description = "Installment Status Rule"
    _order = "sequence, id"
    _rec_name = "state"

    sequence = fields.Integer(default=10)
    state = fields.Selection(STATUSES, string="Status", required=True)
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Manager Task",
        domain="[('res_model', 'in', (False, 'broker.installment.application'))]",
        help="Task scheduled for the salesperson when an application enters this status. Empty: no task.",
    )
    send_letter = fields.Boolean(default=True)
    template_id = fields.Many2one(
        "mail.template",
        string="Letter",
        domain="[('model', '=', 'sale.order')]",
        help="Letter sent to the customer on the order when an application enters this status.",
    )
    letter_delay = fields.Integer(
        string="Letter Delay (minutes)",
        default=0,
        help="0 sends the letter at once; otherwise the scheduled action sends it after this delay, "
        "if the application is still in this status.",
    )

    _sql_constraints = [
        ("state_uniq", "unique(state)", "There is already a rule for this status."),
        ("letter_delay_positive", "CHECK(letter_delay >= 0)", "The letter delay cannot be negative."),
    ]

    @api.model
    def _by_state(self, states):
        return {rule.state: rule for rule in self.search([("state", "in", list(states))])}
