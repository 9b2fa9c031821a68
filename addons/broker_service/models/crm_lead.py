from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# Activity types that are internal tasks rather than a contact with the client.
INTERNAL_ACTIVITY_TYPES = (
    "broker_service.mail_activity_type_first_response_escalation",
    "broker_service.mail_activity_type_cadence_contact_check",
    "broker_service.mail_activity_type_cadence_control",
)
WEEKEND = (5, 6)
# Figures the service standard records by itself; they feed the managers' first-response report.
SYSTEM_FIELDS = ("first_response_date", "first_response_escalated")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    broker_channel_id = fields.Many2one(
        "broker.channel",
        string="Channel",
        compute="_compute_broker_channel_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
    )
    request_date = fields.Datetime(
        string="Request Received", default=fields.Datetime.now, copy=False, help="When the client's request came in."
    )
    first_response_date = fields.Datetime(string="First Response", copy=False, readonly=True, tracking=True)
    first_response_minutes = fields.Float(
        string="First Response (min)",
        compute="_compute_first_response_minutes",
        store=True,
        aggregator="avg",
        digits=(16, 1),
    )
    first_response_overdue = fields.Boolean(
        compute="_compute_first_response_overdue",
        search="_search_first_response_overdue",
    )
    first_response_escalated = fields.Boolean(copy=False, readonly=True)
    client_initiated_date = fields.Date(
        string="Client Contacted Us On",
        copy=False,
        help="The last day the client contacted us on their own initiative: contacts planned for that day are "
        "kept even on the quiet weekday.",
    )
    cadence_activity_count = fields.Integer(string="Call-back Tasks", compute="_compute_cadence_activity_count")

    # ---------------------------------------------------------------- computes
    @api.depends("source_id", "medium_id")
    def _compute_broker_channel_id(self):
        Channel = self.env["broker.channel"]
        for lead in self:
            lead.broker_channel_id = Channel._match(lead.source_id, lead.medium_id) or lead.broker_channel_id

    @api.depends("request_date", "first_response_date")
    def _compute_first_response_minutes(self):
        for lead in self:
            if lead.request_date and lead.first_response_date:
                delta = lead.first_response_date - lead.request_date
                lead.first_response_minutes = max(delta.total_seconds(), 0) / 60
            else:
                lead.first_response_minutes = False

    def _first_response_deadline(self):
        return fields.Datetime.now() - timedelta(minutes=self.env.company.broker_first_response_minutes)

    @api.depends("request_date", "first_response_date")
    def _compute_first_response_overdue(self):
        deadline = self._first_response_deadline()
        for lead in self:
            lead.first_response_overdue = bool(
                lead.active and not lead.first_response_date and lead.request_date and lead.request_date < deadline
            )

    def _search_first_response_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the first response."))
        domain = [("first_response_date", "=", False), ("request_date", "<", self._first_response_deadline())]
        if (operator == "=") == value:
            return domain
        return ["!", "&", *domain]

    def _compute_cadence_activity_count(self):
        types = self._broker_cadence_activity_types()
        for lead in self:
            lead.cadence_activity_count = len(lead.activity_ids.filtered(lambda a: a.activity_type_id in types))

    # ---------------------------------------------------------------- CRUD
    @api.model_create_multi
    def create(self, vals_list):
        # sudo: channels are configuration read to route the new lead; nothing is written on them
        Channel = self.env["broker.channel"].sudo()
        today = fields.Date.context_today(self)
        for vals in vals_list:
            channel = Channel.browse(vals.get("broker_channel_id")) or Channel._match(
                self.env["utm.source"].browse(vals.get("source_id")),
                self.env["utm.medium"].browse(vals.get("medium_id")),
            )
            if not channel:
                continue
            # an inbound request: the client contacted us today
            vals.setdefault("client_initiated_date", today)
            if "user_id" not in vals and channel.user_id:
                vals["user_id"] = channel.user_id.id
        self._broker_check_system_fields(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._broker_check_system_fields([vals])
        return super().write(vals)

    def _broker_check_system_fields(self, vals_list):
        """An agent does not set the first response of own deals by hand (only managers correct it)."""
        if self.env.su or not any(fname in vals for vals in vals_list for fname in SYSTEM_FIELDS):
            return
        if not self.env.user.has_group("broker_crm.group_broker_manager"):
            raise AccessError(self.env._("The first response is recorded automatically."))

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        # sudo: only reads who wrote the message and its subtype, to tell staff replies from notes
        author_users = message.sudo().author_id.user_ids
        if message.message_type in ("comment", "email", "email_outgoing"):
            if author_users and not author_users[:1].share:
                if message.message_type != "email" and not message.sudo().subtype_id.internal:
                    self._broker_register_first_response()
            elif message.message_type == "email" or not author_users:
                # the client wrote to us
                self.sudo().write({"client_initiated_date": fields.Date.context_today(self)})
        return res

    # ---------------------------------------------------------------- the scheduler's rule
    def _broker_next_contact_date(self, date, client_initiated=False):
        """The date an automatically planned client contact really goes to.

        On the company's quiet weekday (Monday by default) clients are not disturbed: the contact moves to
        the next day, unless the client contacted us on their own that day. Other addons planning client
        contacts (follow-ups, letters) call this too.
        """
        lead = self[:1]
        company = lead.company_id or self.env.company
        if not company.broker_quiet_day_enabled or date.weekday() != int(company.broker_quiet_weekday or 0):
            return date
        if client_initiated or (lead and lead.client_initiated_date == date):
            return date
        return date + timedelta(days=1)

    def _broker_previous_working_day(self, date):
        """The last working day before the date that is not a quiet day (weekends are skipped)."""
        day = date - timedelta(days=1)
        while day.weekday() in WEEKEND or self._broker_next_contact_date(day) != day:
            day -= timedelta(days=1)
        return day

    def _broker_local_now(self):
        tz = self[:1].user_id.tz or self.env.user.tz or "UTC"
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), fields.Datetime.now())

    # ---------------------------------------------------------------- first response
    def _broker_register_first_response(self):
        leads = self.sudo().filtered(lambda lead: not lead.first_response_date)
        if leads:
            leads.write({"first_response_date": fields.Datetime.now()})

    @api.model
    def _cron_escalate_first_response(self):
        escalation = self.env.ref("broker_service.mail_activity_type_first_response_escalation")
        leads = self.search(
            [
                ("first_response_overdue", "=", True),
                ("first_response_escalated", "=", False),
                ("team_id.user_id", "!=", False),
                ("probability", "<", 100),
            ]
        )
        for lead in leads:
            lead.activity_schedule(
                activity_type_id=escalation.id,
                user_id=lead.team_id.user_id.id,
                summary=self.env._(
                    "No first response within %(minutes)s minutes",
                    minutes=lead.company_id.broker_first_response_minutes,
                ),
            )
        # sudo: a figure users do not set (see _broker_check_system_fields), whoever runs the scheduler
        leads.sudo().write({"first_response_escalated": True})
        return leads

    # ---------------------------------------------------------------- call-back cadence
    @api.model
    def _broker_cadence_activity_types(self):
        # sudo: reads the cadence configuration (activity types) only
        return self.env["broker.cadence.step"].sudo().with_context(active_test=False).search([]).activity_type_id

    def _broker_cadence_activities(self):
        types = self._broker_cadence_activity_types()
        # sudo: cadence tasks of this lead may be assigned to others (channel responsible)
        return self.sudo().activity_ids.filtered(lambda a: a.activity_type_id in types)

    def action_no_answer(self):
        """The client did not answer: plan the whole call-back cadence."""
        self.check_access("write")
        steps = self.env["broker.cadence.step"].search([])
        if not steps:
            raise UserError(self.env._("No call-back cadence is configured."))
        for lead in self:
            if not lead.user_id:
                raise UserError(self.env._("Assign the lead to a salesperson first."))
            lead._broker_cadence_activities().unlink()
            local_now = lead._broker_local_now()
            for step in steps:
                planned = local_now + timedelta(days=step.day_offset, hours=step.hour_offset)
                summary = step.summary or step.activity_type_id.summary or step.activity_type_id.name
                if not step.day_offset and step.hour_offset:
                    summary = self.env._("%(summary)s after %(time)s", summary=summary, time=planned.strftime("%H:%M"))
                user = lead.user_id
                if step.assignee == "channel" and lead.broker_channel_id.user_id:
                    user = lead.broker_channel_id.user_id
                # sudo: the step may go to the channel responsible, whom the agent cannot assign to
                lead.sudo().activity_schedule(
                    activity_type_id=step.activity_type_id.id,
                    date_deadline=lead._broker_next_contact_date(planned.date()),
                    summary=summary,
                    user_id=user.id,
                )
        self._broker_register_first_response()
        self.message_post(body=self.env._("The client did not answer: call-back cadence planned."))
        return True

    def action_client_reached(self):
        """The client was reached: the remaining call-back tasks are cancelled."""
        self.check_access("write")
        self._broker_stop_cadence()
        return True

    def _broker_stop_cadence(self):
        self._broker_register_first_response()
        for lead in self:
            activities = lead._broker_cadence_activities()
            if activities:
                activities.unlink()
                # sudo: a log note on a lead the user already works on (it was checked above)
                lead.sudo().message_post(body=self.env._("The client was reached: call-back cadence stopped."))
