from odoo import api, fields, models
from odoo.exceptions import UserError

STATUSES = [
    ("not_sent", "Not Sent"),
    ("bank_refused", "Bank Refused"),
    ("signing", "Signing Documents"),
    ("buyer_refused", "Buyer Refused"),
    ("approved", "Approved (Paid)"),
    ("cancelled", "Cancelled"),
]
STATUS_CODES = [code for code, _label in STATUSES]


class BrokerInstallmentApplication(models.Model):
    _name = "broker.installment.application"
    _description = "Installment Application"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    active = fields.Boolean(default=True, tracking=True)
    order_id = fields.Many2one("sale.order", required=True, index=True, ondelete="restrict", tracking=True)
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer", store=True, index=True)
    opportunity_id = fields.Many2one(related="order_id.opportunity_id", string="Opportunity", store=True, index=True)
    user_id = fields.Many2one(related="order_id.user_id", string="Salesperson", store=True, index=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="order_id.currency_id")
    provider_id = fields.Many2one("broker.installment.provider", required=True, ondelete="restrict", tracking=True)
    external_id = fields.Char(
        string="External ID", index=True, copy=False, tracking=True, help="The application's number at the provider."
    )
    amount = fields.Monetary(compute="_compute_amount", store=True, readonly=False, precompute=True, tracking=True)
    state = fields.Selection(
        STATUSES,
        string="Status",
        required=True,
        default="not_sent",
        index=True,
        tracking=True,
        group_expand="_group_expand_states",
    )
    status_time = fields.Datetime(
        string="Status Since",
        readonly=True,
        copy=False,
        default=fields.Datetime.now,
        help="When the current status started: the provider's event time or the time of the manual change. "
        "Provider events older than this are ignored.",
    )
    amount_time = fields.Datetime(
        string="Amount Since",
        readonly=True,
        copy=False,
        help="When the amount was last set: the provider's event time or the time of the manual change. "
        "Amounts of provider events older than this are ignored.",
    )
    task_ids = fields.One2many("broker.installment.task", "application_id", string="Tasks")
    letter_ids = fields.One2many("broker.installment.letter", "application_id", string="Letters")
    event_ids = fields.One2many(
        "broker.installment.event", "application_id", string="Provider Calls", groups="sales_team.group_sale_manager"
    )
    open_task_id = fields.Many2one("broker.installment.task", compute="_compute_open_task_id")

    _sql_constraints = [
        (
            "provider_external_uniq",
            "unique(provider_id, external_id)",
            "This provider already has an application with this external ID.",
        ),
        ("amount_positive", "CHECK(amount >= 0)", "The installment amount cannot be negative."),
    ]

    @api.depends("order_id")
    def _compute_amount(self):
        for application in self:
            if not application.amount:
                application.amount = application.order_id.amount_total

    @api.depends("task_ids.outcome")
    def _compute_open_task_id(self):
        for application in self:
            application.open_task_id = application.task_ids.filtered(lambda t: t.outcome == "open")[:1]

    @api.model
    def _group_expand_states(self, states, domain):
        return STATUS_CODES

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("broker.installment.application") or "/"
        applications = super().create(vals_list)
        applications._enter_status()
        return applications

    def write(self, vals):
        if "amount" in vals and "amount_time" not in vals:
            # a manual amount is newer than the provider's events sent before it
            vals = dict(vals, amount_time=fields.Datetime.now())
        if "state" not in vals:
            return super().write(vals)
        if vals["state"] not in STATUS_CODES:
            raise UserError(self.env._("Unknown installment status: %(status)s", status=vals["state"]))
        changed = self.filtered(lambda a: a.state != vals["state"])
        if changed and "status_time" not in vals:
            vals = dict(vals, status_time=fields.Datetime.now())
        result = super().write(vals)
        changed._enter_status()
        return result

    def _enter_status(self):
        """Close the previous status' open tasks, then schedule the new status' task and letter."""
        if not self:
            return
        self.task_ids.filtered(lambda t: t.outcome == "open")._close("superseded")
        rules = self.env["broker.installment.status.rule"]._by_state(set(self.mapped("state")))
        self.env["broker.installment.task"]._create_for(self, rules)
        self.env["broker.installment.letter"]._schedule(self, rules)

    # manager's task outcome, from the application form
    def _open_tasks(self):
        tasks = self.task_ids.filtered(lambda t: t.outcome == "open")
        if not tasks:
            raise UserError(self.env._("There is no open task on this application."))
        return tasks

    def action_task_success(self):
        self._open_tasks().action_success()

    def action_task_refused(self):
        self._open_tasks().action_refused()

    def action_task_no_answer(self):
        self._open_tasks().action_no_answer()
