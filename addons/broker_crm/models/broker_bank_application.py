from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# statuses in which the application is still going somewhere
OPEN_STATES = ("draft", "submitted", "more_docs")
# the bank has it and has not decided yet
WAITING_STATES = ("submitted", "more_docs")
# an approval due to lapse is announced this many days before
APPROVAL_LAPSE_NOTICE_DAYS = 7


class BrokerBankApplication(models.Model):
    _name = "broker.bank.application"
    _inherit = ["mail.thread"]
    _description = "Credit Application to a Bank"
    # open applications whose decision is due first come first: overdue ones are on top
    _order = "date_decision_expected asc nulls last, id"
    _rec_name = "bank_id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    bank_id = fields.Many2one("res.bank", required=True, tracking=True)
    product_name = fields.Char(
        string="Bank Product", help="The bank's own credit programme, e.g. a working capital loan."
    )
    state = fields.Selection(
        [
            ("draft", "Preparing"),
            ("submitted", "Submitted"),
            ("more_docs", "More Documents Requested"),
            ("approved", "Approved"),
            ("refused", "Refused"),
            ("expired", "Expired"),
            ("withdrawn", "Client Declined"),
        ],
        string="Status",
        required=True,
        default="draft",
        tracking=True,
        index=True,
    )
    date_submitted = fields.Date(string="Submitted On", tracking=True)
    date_decision_expected = fields.Date(
        string="Decision Expected By",
        compute="_compute_date_decision_expected",
        store=True,
        readonly=False,
        tracking=True,
        help="Counted from the submission date with the bank's usual decision time in working days of the "
        "company calendar; change it when the bank names another date.",
    )
    date_decision = fields.Date(string="Decision Date", tracking=True)
    amount_approved = fields.Monetary(string="Approved Amount", currency_field="currency_id", tracking=True)
    rate = fields.Float(string="Rate, % per Year", digits=(5, 2), tracking=True)
    term_months = fields.Integer(string="Term (months)", tracking=True)
    conditions = fields.Text(help="Collateral, guarantors, insurance and other conditions of the approval.")
    approval_valid_until = fields.Date(
        compute="_compute_approval_valid_until",
        store=True,
        readonly=False,
        tracking=True,
        help="The approval lapses after this date: the credit must be issued before it.",
    )
    bank_contact = fields.Char(help="The bank's manager for this application: name, phone.")
    refusal_reason = fields.Char(tracking=True)
    note = fields.Char()
    currency_id = fields.Many2one(related="lead_id.company_currency")
    company_id = fields.Many2one(related="lead_id.company_id", store=True)
    user_id = fields.Many2one(related="lead_id.user_id", string="Salesperson", store=True, index=True)
    executor_id = fields.Many2one(related="lead_id.executor_id", store=True, index=True)
    team_id = fields.Many2one(related="lead_id.team_id", store=True)
    is_open = fields.Boolean(compute="_compute_is_open", store=True)
    is_overdue = fields.Boolean(string="Decision Overdue", compute="_compute_is_overdue", search="_search_is_overdue")
    days_waiting = fields.Integer(
        compute="_compute_days_waiting", help="Days since the submission while the bank has not decided."
    )
    # "once": set when the executor got the task; a new expected date or validity resets it
    overdue_notified = fields.Boolean(copy=False, readonly=True)
    lapse_notified = fields.Boolean(copy=False, readonly=True)

    _sql_constraints = [
        ("amount_approved_positive", "CHECK(amount_approved >= 0)", "The approved amount cannot be negative."),
        ("rate_positive", "CHECK(rate >= 0)", "The rate cannot be negative."),
        ("term_positive", "CHECK(term_months >= 0)", "The term cannot be negative."),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends("date_submitted", "bank_id", "company_id")
    def _compute_date_decision_expected(self):
        for app in self:
            if not app.date_submitted:
                app.date_decision_expected = False
                continue
            days = app.bank_id.broker_decision_days
            calendar = (app.company_id or self.env.company).resource_calendar_id
            start = datetime.combine(app.date_submitted, time(12))
            if calendar and days > 0:
                # plan_days counts the start day as the first working day
                app.date_decision_expected = calendar.plan_days(days + 1, start, compute_leaves=True).date()
            else:
                app.date_decision_expected = app.date_submitted + timedelta(days=max(days, 0))

    @api.depends("date_decision", "state", "bank_id")
    def _compute_approval_valid_until(self):
        for app in self:
            days = app.bank_id.broker_approval_valid_days
            if app.state == "approved" and app.date_decision and days > 0 and not app.approval_valid_until:
                app.approval_valid_until = app.date_decision + timedelta(days=days)

    @api.depends("state")
    def _compute_is_open(self):
        for app in self:
            app.is_open = app.state in OPEN_STATES

    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for app in self:
            app.is_overdue = bool(
                app.state in WAITING_STATES and app.date_decision_expected and app.date_decision_expected < today
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue applications."))
        overdue = [
            ("state", "in", WAITING_STATES),
            ("date_decision_expected", "<", fields.Date.context_today(self)),
        ]
        return overdue if (operator == "=") == value else ["!", "&", *overdue]

    def _compute_days_waiting(self):
        today = fields.Date.context_today(self)
        for app in self:
            waiting = app.state in WAITING_STATES and app.date_submitted
            app.days_waiting = (today - app.date_submitted).days if waiting else 0

    # ------------------------------------------------------------------ constraints
    @api.constrains("date_submitted", "date_decision", "date_decision_expected")
    def _check_dates(self):
        for app in self:
            if app.date_submitted and app.date_decision and app.date_decision < app.date_submitted:
                raise ValidationError(
                    self.env._(
                        "The bank cannot decide before the application is submitted (%(bank)s).", bank=app.bank_id.name
                    )
                )
            if app.date_submitted and app.date_decision_expected and app.date_decision_expected < app.date_submitted:
                raise ValidationError(
                    self.env._(
                        "The expected decision date cannot be before the submission (%(bank)s).", bank=app.bank_id.name
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        apps = super().create(vals_list)
        apps._fill_state_dates()
        apps._sync_bank_documents()
        apps.filtered(lambda app: app.state in WAITING_STATES)._check_submission()
        return apps

    def write(self, vals):
        submitting = self.browse()
        if vals.get("state") in WAITING_STATES:
            # entering the bank's hands again (a first submission or the documents it asked for)
            submitting = self.filtered(lambda app: app.state != vals["state"] and app.state not in WAITING_STATES)
            if vals["state"] == "submitted":
                submitting |= self.filtered(lambda app: app.state == "more_docs")
        if "date_decision_expected" in vals or "date_submitted" in vals:
            vals.setdefault("overdue_notified", False)
        if "approval_valid_until" in vals:
            vals.setdefault("lapse_notified", False)
        res = super().write(vals)
        if "state" in vals:
            self._fill_state_dates()
        if "bank_id" in vals:
            self._sync_bank_documents()
        submitting._check_submission()
        return res

    def _fill_state_dates(self):
        """Submission and decision dates default to the day the status says so (for every route)."""
        today = fields.Date.context_today(self)
        self.filtered(lambda app: app.state in WAITING_STATES and not app.date_submitted).date_submitted = today
        self.filtered(lambda app: app.state in ("approved", "refused") and not app.date_decision).date_decision = today

    @api.ondelete(at_uninstall=False)
    def _unlink_except_handed_to_a_bank(self):
        # what a bank received is part of the deal's history: only an application still being prepared
        # is removed (a mistake); administrators delete anything
        if self.env.su or self.env.user._is_admin():
            return
        if any(app.state != "draft" or app.date_submitted for app in self):
            raise UserError(
                self.env._(
                    "An application handed to a bank stays on the deal: set its status (refused, expired, client "
                    "declined) instead of deleting it."
                )
            )

    @api.onchange("state")
    def _onchange_state(self):
        if self.state in ("approved", "refused") and not self.date_decision:
            self.date_decision = fields.Date.context_today(self)
        if self.state in WAITING_STATES and not self.date_submitted:
            self.date_submitted = fields.Date.context_today(self)

    # ------------------------------------------------------------------ documents
    def _required_document_types(self):
        self.ensure_one()
        return self.lead_id.credit_product_id.document_type_ids | self.bank_id.broker_document_type_ids

    def _sync_bank_documents(self):
        """The documents the bank requires join the deal's checklist."""
        vals_list = []
        for lead in self.lead_id:
            known = set(lead.document_ids.document_type_id.ids)
            types = self.filtered(lambda app, lead=lead: app.lead_id == lead).bank_id.broker_document_type_ids
            vals_list += [{"lead_id": lead.id, "document_type_id": t.id} for t in types if t.id not in known]
            known.update(types.ids)
        # sudo: the checklist lines follow from the bank chosen on the user's own deal
        self.env["broker.lead.document"].sudo().create(vals_list)

    def _check_submission(self):
        """Refuse to hand an application to the bank with a required document missing or expired."""
        if self.env.su:
            return  # data files and demo record applications as they were
        today = fields.Date.context_today(self)
        for app in self:
            required = app._required_document_types()
            # sudo: only the state and validity of the deal's checklist are read
            lines = app.lead_id.sudo().document_ids.filtered(lambda line, req=required: line.document_type_id in req)
            missing = lines.filtered(lambda line: line.state == "missing").document_type_id
            missing |= required - lines.document_type_id
            expired = lines.filtered(lambda line: line.date_valid_until and line.date_valid_until < today)
            problems = []
            if missing:
                problems.append(self.env._("missing: %(docs)s", docs=", ".join(missing.mapped("name"))))
            if expired:
                labels = [
                    self.env._(
                        "%(doc)s (valid until %(date)s)",
                        doc=line.document_type_id.name,
                        date=fields.Date.to_string(line.date_valid_until),
                    )
                    for line in expired
                ]
                problems.append(self.env._("expired: %(docs)s", docs=", ".join(labels)))
            if problems:
                raise UserError(
                    self.env._(
                        "The application to %(bank)s (deal %(deal)s) cannot be submitted: %(problems)s. "
                        "Upload current documents first.",
                        bank=app.bank_id.name,
                        deal=app.lead_id.display_name,
                        problems="; ".join(problems),
                    )
                )

    # ------------------------------------------------------------------ actions
    def action_submit(self):
        self.write({"state": "submitted"})

    def action_open_deal(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ jobs
    @api.model
    def _cron_bank_applications(self):
        """Daily: overdue decisions and approvals about to lapse reach the executor, once each."""
        today = fields.Date.context_today(self)
        activity_type = self.env.ref("broker_crm.mail_activity_type_credit_support")
        overdue = self.search([("is_overdue", "=", True), ("overdue_notified", "=", False)])
        for app in overdue:
            app.lead_id.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self.env._("No decision from %(bank)s", bank=app.bank_id.name),
                note=self.env._(
                    "The bank was expected to decide by %(date)s: call %(contact)s and record the decision.",
                    date=fields.Date.to_string(app.date_decision_expected),
                    contact=app.bank_contact or app.bank_id.name,
                ),
                user_id=(app.executor_id or app.user_id or self.env.user).id,
            )
        overdue.write({"overdue_notified": True})
        lapsing = self.search(
            [
                ("state", "=", "approved"),
                ("lapse_notified", "=", False),
                ("approval_valid_until", "!=", False),
                ("approval_valid_until", "<=", today + timedelta(days=APPROVAL_LAPSE_NOTICE_DAYS)),
                ("approval_valid_until", ">=", today),
                ("lead_id.date_issued", "=", False),
            ]
        )
        for app in lapsing:
            app.lead_id.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self.env._(
                    "Approval of %(bank)s lapses on %(date)s",
                    bank=app.bank_id.name,
                    date=fields.Date.to_string(app.approval_valid_until),
                ),
                note=self.env._("Issue the credit before the approval lapses, or ask the bank to extend it."),
                date_deadline=app.approval_valid_until,
                user_id=(app.executor_id or app.user_id or self.env.user).id,
            )
        lapsing.write({"lapse_notified": True})
        # an approval that lapsed without an issued credit is of no use any more
        self.search(
            [
                ("state", "=", "approved"),
                ("approval_valid_until", "<", today),
                ("lead_id.date_issued", "=", False),
            ]
        ).write({"state": "expired"})
