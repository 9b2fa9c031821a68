from datetime import timedelta

from odoo import api, fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    broker_next_action = fields.Char(
        string="Next Target Action",
        help="What was agreed with the client at the end of the meeting; required to close the meeting task.",
    )
    broker_confirmation_activity_id = fields.Many2one(
        "mail.activity", string="Confirmation Task", ondelete="set null", copy=False, readonly=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events._broker_plan_confirmation()
        return events

    def write(self, vals):
        res = super().write(vals)
        if {"start", "stop", "allday", "opportunity_id", "start_date"} & set(vals):
            self._broker_plan_confirmation()
        return res

    def _broker_meeting_lead(self):
        self.ensure_one()
        if self.opportunity_id:
            return self.opportunity_id
        if self.res_model == "crm.lead" and self.res_id:
            return self.env["crm.lead"].browse(self.res_id)
        return self.env["crm.lead"]

    def _broker_meeting_date(self):
        self.ensure_one()
        if self.allday:
            return self.start_date
        tz = self.user_id.tz or self.env.user.tz or "UTC"
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), self.start).date()

    def _broker_plan_confirmation(self):
        """A confirmation call or message the working day before the meeting (never on the quiet day)."""
        activity_type = self.env.ref("broker_service.mail_activity_type_meeting_confirmation")
        for event in self:
            # sudo: the meeting's attendee may not own the lead; only the confirmation task is planned on it
            lead = event._broker_meeting_lead().sudo()
            if event.broker_confirmation_activity_id:
                event.broker_confirmation_activity_id.sudo().unlink()
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
            event.sudo().broker_confirmation_activity_id = activity
