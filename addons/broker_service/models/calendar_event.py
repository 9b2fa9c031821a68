from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

# Changes of a meeting that re-plan its confirmation task on the deal.
PLANNING_FIELDS = {"start", "stop", "allday", "opportunity_id", "res_id", "res_model_id", "start_date"}
# Changes of a meeting that change the deal's file: only who may change the deal makes them.
DEAL_FIELDS = PLANNING_FIELDS | {"broker_next_action"}


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # internal working notes of the deal: not for portal attendees
    broker_next_action = fields.Char(
        string="Next Target Action",
        groups="base.group_user",
        help="What was agreed with the client at the end of the meeting; required to close the meeting task.",
    )
    broker_confirmation_activity_id = fields.Many2one(
        "mail.activity",
        string="Confirmation Task",
        ondelete="set null",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if any("broker_confirmation_activity_id" in vals for vals in vals_list):
            self._broker_check_confirmation_write()
        events = super().create(vals_list)
        events._broker_plan_confirmation()
        return events

    def write(self, vals):
        if "broker_confirmation_activity_id" in vals:
            self._broker_check_confirmation_write()
        if DEAL_FIELDS & set(vals):
            # the deal the meeting leaves loses its confirmation task: it must be the user's to change too
            self._broker_meeting_leads().check_access("write")
        replan = bool(PLANNING_FIELDS & set(vals))
        res = super().write(vals)
        if replan:
            self._broker_plan_confirmation()
        return res

    def _broker_check_confirmation_write(self):
        """The confirmation task is planned by the meeting itself: a user never points it at another task."""
        if not self.env.su:
            raise AccessError(self.env._("The confirmation task of a meeting is planned automatically."))

    def _broker_meeting_lead(self):
        self.ensure_one()
        if self.opportunity_id:
            return self.opportunity_id
        if self.res_model == "crm.lead" and self.res_id:
            return self.env["crm.lead"].browse(self.res_id)
        return self.env["crm.lead"]

    def _broker_meeting_leads(self):
        """The deals of all these meetings, with one existence query for the whole batch."""
        lead_ids = self.opportunity_id.ids + [
            event.res_id
            for event in self
            if not event.opportunity_id and event.res_model == "crm.lead" and event.res_id
        ]
        return self.env["crm.lead"].browse(lead_ids).exists()

    def _broker_meeting_date(self):
        self.ensure_one()
        if self.allday:
            return self.start_date
        tz = self.user_id.tz or self.env.user.tz or "UTC"
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), self.start).date()

    def _broker_plan_confirmation(self):
        """A confirmation call or message the working day before the meeting (never on the quiet day)."""
        # only who may change the deal plans tasks on it (and so subscribes the assignee to it)
        leads = self._broker_meeting_leads()
        leads.check_access("write")
        activity_type = self.env.ref("broker_service.mail_activity_type_meeting_confirmation")
        # sudo: the tasks were planned by these meetings and may be assigned to a colleague; the user may
        # change the deals they are on (checked above and before the write)
        self.sudo().broker_confirmation_activity_id.filtered(
            lambda a: a.activity_type_id == activity_type and a.res_model == "crm.lead"
        ).unlink()
        for event in self:
            lead = event._broker_meeting_lead()
            if lead not in leads:  # a deal deleted meanwhile
                lead = leads.browse()
            if not lead or not event.start:
                continue
            meeting_date = event._broker_meeting_date()
            today = fields.Date.context_today(event)
            if meeting_date <= today:
                continue
            day = max(lead._broker_previous_working_day(meeting_date), today)
            day = min(day, meeting_date - timedelta(days=1))
            activity = lead.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=day,
                summary=self.env._("Confirm the meeting of %(date)s", date=fields.Date.to_string(meeting_date)),
                user_id=(event.user_id or lead.user_id or self.env.user).id,
            )
            # sudo: the link is written only here, users cannot set it (see _broker_check_confirmation_write)
            event.sudo().broker_confirmation_activity_id = activity
