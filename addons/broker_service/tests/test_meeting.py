from datetime import date

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-11-18 09:00:00")  # a Wednesday
class TestMeeting(BrokerServiceCommon):
    def _meeting(self, lead, start, stop, **vals):
        return (
            self.env["calendar.event"]
            .with_user(self.user_agent)
            .create(
                {
                    "name": "Mortgage meeting",
                    "start": start,
                    "stop": stop,
                    "opportunity_id": lead.id,
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": lead.id,
                    "user_id": self.user_agent.id,
                    **vals,
                }
            )
        )

    def _confirmation(self, lead):
        return lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("broker_service.mail_activity_type_meeting_confirmation")
        )

    def test_confirmation_the_day_before(self):
        lead = self._new_deal()
        event = self._meeting(lead, "2026-11-20 11:00:00", "2026-11-20 12:00:00")  # Friday
        confirmation = self._confirmation(lead)
        self.assertEqual(confirmation.date_deadline, date(2026, 11, 19))
        self.assertEqual(event.broker_confirmation_activity_id, confirmation)
        # moved to Monday: the confirmation goes to Friday, never on the quiet Monday nor the weekend
        event.start = "2026-11-23 11:00:00"
        self.assertFalse(confirmation.exists())
        self.assertEqual(self._confirmation(lead).date_deadline, date(2026, 11, 20))
        # a Tuesday meeting: the day before is Monday, so the confirmation is on Friday too
        event.write({"start": "2026-11-24 11:00:00", "stop": "2026-11-24 12:00:00"})
        self.assertEqual(self._confirmation(lead).date_deadline, date(2026, 11, 20))

    def test_next_action_required_to_close_meeting(self):
        lead = self._new_deal()
        # the meeting planned from a "Meeting" task of the lead, as the activity's calendar button does
        meeting_task = lead.activity_schedule("mail.mail_activity_data_meeting", user_id=self.user_agent.id)
        event = self._meeting(
            lead, "2026-11-19 11:00:00", "2026-11-19 12:00:00", activity_ids=[(6, 0, meeting_task.ids)]
        )
        self.assertEqual(meeting_task.calendar_event_id, event)
        with self.assertRaisesMessage(UserError, "next target action"):
            meeting_task.with_user(self.user_agent).action_done()
        self.assertTrue(meeting_task.exists())
        event.with_user(self.user_agent).broker_next_action = "Client brings the income statement on Monday"
        meeting_task.with_user(self.user_agent).action_done()
        self.assertFalse(meeting_task.exists())
