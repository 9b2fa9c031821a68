from datetime import date

from odoo.tests import freeze_time, tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
class TestCadence(BrokerServiceCommon):
    def _dates(self, lead):
        return [(a.activity_type_id.sequence, a.date_deadline, a.user_id) for a in self._cadence(lead)]

    @freeze_time("2026-11-20 10:00:00")  # a Friday
    def test_no_answer_plans_cadence_and_skips_monday(self):
        avito = self.env.ref("broker_service.utm_source_avito")
        lead = self._new_deal(source_id=avito.id)
        self.assertEqual(lead.broker_channel_id, self.channel_avito)
        lead.with_user(self.user_agent).action_no_answer()
        activities = self._cadence(lead)
        self.assertEqual(len(activities), 6)
        by_type = {a.activity_type_id: a for a in activities}

        def act(xmlid):
            return by_type[self.env.ref(f"broker_service.mail_activity_type_{xmlid}")]

        self.assertEqual(act("cadence_call_retry").date_deadline, date(2026, 11, 20))
        self.assertIn("12:00", act("cadence_call_retry").summary)
        self.assertEqual(act("cadence_call").date_deadline, date(2026, 11, 21))
        self.assertEqual(act("cadence_messenger").date_deadline, date(2026, 11, 22))
        # day 3 falls on Monday: moved to Tuesday
        self.assertEqual(act("cadence_email").date_deadline, date(2026, 11, 24))
        self.assertEqual(act("cadence_contact_check").date_deadline, date(2026, 11, 24))
        # the lead goes back to its source for the contact check, the owner keeps a control task
        self.assertEqual(act("cadence_contact_check").user_id, self.user_channel)
        self.assertEqual(act("cadence_control").user_id, self.user_agent)
        self.assertEqual(act("cadence_call").user_id, self.user_agent)
        # clicking "No Answer" was the first response attempt
        self.assertEqual(lead.first_response_minutes, 0)

    @freeze_time("2026-11-23 09:00:00")  # a Monday
    def test_monday_moves_to_tuesday(self):
        lead = self._new_deal()
        self.assertFalse(lead.client_initiated_date)
        lead.with_user(self.user_agent).action_no_answer()
        retry = self._cadence(lead).filtered(
            lambda a: a.activity_type_id == self.env.ref("broker_service.mail_activity_type_cadence_call_retry")
        )
        self.assertEqual(retry.date_deadline, date(2026, 11, 24))

    @freeze_time("2026-11-23 09:00:00")  # a Monday
    def test_monday_kept_when_client_initiated(self):
        telegram = self.env.ref("broker_service.utm_source_telegram")
        lead = self._new_deal(source_id=telegram.id)
        self.assertEqual(lead.client_initiated_date, date(2026, 11, 23))
        lead.with_user(self.user_agent).action_no_answer()
        retry = self._cadence(lead).filtered(
            lambda a: a.activity_type_id == self.env.ref("broker_service.mail_activity_type_cadence_call_retry")
        )
        self.assertEqual(retry.date_deadline, date(2026, 11, 23))
        self.assertEqual(
            lead._broker_next_contact_date(date(2026, 11, 30)), date(2026, 12, 1), "only that Monday is an exception"
        )

    def test_quiet_day_configurable(self):
        Lead = self.env["crm.lead"]
        monday, wednesday = date(2026, 11, 23), date(2026, 11, 25)
        self.assertEqual(Lead._broker_next_contact_date(monday), date(2026, 11, 24))
        self.assertEqual(Lead._broker_next_contact_date(monday, client_initiated=True), monday)
        self.env.company.broker_quiet_weekday = "2"
        self.assertEqual(Lead._broker_next_contact_date(monday), monday)
        self.assertEqual(Lead._broker_next_contact_date(wednesday), date(2026, 11, 26))
        self.env.company.broker_quiet_day_enabled = False
        self.assertEqual(Lead._broker_next_contact_date(wednesday), wednesday)

    @freeze_time("2026-11-17 10:00:00")  # a Tuesday
    def test_client_reached_cancels_rest(self):
        lead = self._new_deal()
        consultation_task = lead.activity_schedule(
            "broker_service.mail_activity_type_consultation", user_id=self.user_agent.id
        )
        lead.with_user(self.user_agent).action_no_answer()
        self.assertEqual(len(self._cadence(lead)), 6)
        lead.with_user(self.user_agent).action_client_reached()
        self.assertFalse(self._cadence(lead))
        self.assertTrue(consultation_task.exists(), "other tasks are kept")

    @freeze_time("2026-11-17 10:00:00")
    def test_done_call_cancels_rest(self):
        lead = self._new_deal()
        lead.with_user(self.user_agent).action_no_answer()
        # a cadence step done is just a call attempt: the rest stays
        self._cadence(lead)[:1].with_user(self.user_agent).action_done()
        self.assertEqual(len(self._cadence(lead)), 5)
        call = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.user_agent.id)
        call.with_user(self.user_agent).action_done()
        self.assertFalse(self._cadence(lead))
