import re

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

CYRILLIC = re.compile("[А-Яа-яЁё]")

CONSULTATIONS = (
    "consultation_demo_smirnova",
    "consultation_demo_smirnova_office",
    "consultation_demo_ivanov",
    "consultation_demo_morozova",
    "consultation_demo_klimov",
    "consultation_demo_smirnov",
    "consultation_demo_orlov",
    "consultation_demo_zaharov",
    "consultation_demo_closed",
)
VOICES = (
    "client_voice_demo_factoring",
    "client_voice_demo_insurance",
    "client_voice_demo_report",
    "client_voice_demo_documents_twice",
    "client_voice_demo_weekend",
    "client_voice_demo_deposit",
    "client_voice_demo_fee",
)


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo office of the service standards: filled, in Russian, consistent and seen through the rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = cls.env.ref("broker_crm.demo_user_agent", raise_if_not_found=False)
        if not cls.agent:
            return
        ref = cls.env.ref
        cls.agent2 = ref("broker_crm.demo_user_agent2")
        cls.leader = ref("broker_crm.demo_user_leader")
        cls.manager = ref("broker_crm.demo_user_manager")
        cls.accountant = ref("broker_crm.demo_user_accountant")
        cls.consultations = cls.env["broker.consultation"].browse(ref(f"broker_service.{x}").id for x in CONSULTATIONS)
        cls.voices = cls.env["broker.client.voice"].browse(ref(f"broker_service.{x}").id for x in VOICES)
        cls.overdue = ref("broker_service.lead_demo_overdue")
        cls.callback = ref("broker_service.lead_demo_callback")

    def setUp(self):
        super().setUp()
        if not self.agent:
            self.skipTest("the database has no demo data (broker_crm demo users are missing)")

    def test_consultations_belong_to_demo_deals(self):
        demo_users = self.agent | self.agent2
        for consultation in self.consultations:
            lead = consultation.lead_id
            self.assertTrue(lead, consultation.name)
            self.assertEqual(lead.team_id, self.env.ref("broker_crm.crm_team_broker"))
            self.assertEqual(consultation.user_id, lead.user_id, "the deal's owner consulted the client")
            self.assertIn(consultation.user_id, demo_users)
            self.assertTrue(consultation.partner_id, "the consultation is on the client's card")
            self.assertEqual(consultation.partner_id, lead.partner_id)
            self.assertEqual(consultation.channel_id, lead.broker_channel_id)
            self.assertTrue(CYRILLIC.search(consultation.summary) and CYRILLIC.search(consultation.outcome))
        self.assertEqual(set(self.consultations.mapped("mode")), {"online", "offline"})
        smirnova = self.env.ref("broker_crm.demo_client_smirnova")
        self.assertEqual(
            smirnova.broker_consultation_ids, self.consultations.filtered(lambda c: c.partner_id == smirnova)
        )
        self.assertEqual(len(smirnova.broker_consultation_ids), 2)

    def test_planned_consultation_waits_for_its_log(self):
        lead = self.env.ref("broker_crm.lead_demo_pre_analysis")
        task = lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("broker_service.mail_activity_type_consultation")
        )
        self.assertEqual(task.user_id, self.agent2)
        self.assertFalse(self.env["broker.consultation"].search([("activity_id", "=", task.id)]))

    def test_voice_of_the_client(self):
        for voice in self.voices:
            self.assertTrue(voice.lead_id)
            self.assertEqual(voice.partner_id, voice.lead_id.partner_id)
            self.assertTrue(voice.partner_id)
            self.assertEqual(voice.user_id, voice.lead_id.user_id)
            self.assertTrue(CYRILLIC.search(voice.text))
        self.assertEqual(set(self.voices.mapped("kind")), {"request", "wish", "complaint"})
        self.assertEqual(set(self.voices.mapped("state")), {"new", "reported", "done", "rejected"})
        not_offered = self.env["broker.client.voice"].search(
            [("product_offered", "=", False), ("id", "in", self.voices.ids)]
        )
        self.assertGreaterEqual(len(not_offered), 2, "requests for directions the company does not offer")

    def test_overdue_first_response_escalated(self):
        Lead = self.env["crm.lead"]
        lead = self.overdue
        self.assertEqual(lead.broker_channel_id, self.env.ref("broker_service.broker_channel_avito"))
        self.assertEqual(lead.broker_channel_id.user_id, self.agent2)
        self.assertTrue(lead.first_response_overdue)
        self.assertTrue(lead.first_response_escalated)
        # the search filter "First Response Overdue" of the pipeline, as the team leader sees it
        overdue = Lead.with_user(self.leader).search([("first_response_overdue", "=", True)])
        self.assertIn(lead, overdue)
        demo_deals = Lead.with_context(active_test=False).search([("team_id", "=", lead.team_id.id)])
        self.assertEqual(
            demo_deals.filtered("first_response_overdue"), lead, "every other demo request got its first response"
        )
        escalation = lead.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("broker_service.mail_activity_type_first_response_escalation")
        )
        self.assertEqual(escalation.user_id, self.leader)
        # escalated once: the scheduler leaves it (and the answered demo deals) alone
        self.assertNotIn(lead, Lead._cron_escalate_first_response())

    def test_first_response_report(self):
        self.env.flush_all()
        Report = self.env["broker.first.response.report"].with_user(self.manager)
        per_user = Report.search([("dimension", "=", "user")])
        self.assertTrue({self.agent, self.agent2} <= set(per_user.user_id))
        per_channel = Report.search([("dimension", "=", "channel")])
        phone = per_channel.filtered(lambda r: r.channel_id == self.env.ref("broker_service.broker_channel_phone"))
        self.assertEqual(phone.lead_count, 2)
        self.assertAlmostEqual(phone.median_minutes, 2.5)
        self.assertNotIn(self.overdue.broker_channel_id, per_channel.channel_id, "the unanswered request has no time")
        with self.assertRaises(AccessError):
            self.env["broker.first.response.report"].with_user(self.agent).search([])

    def test_callback_cadence_in_progress(self):
        lead = self.callback
        self.assertEqual(lead.cadence_activity_count, 5)
        cadence = lead._broker_cadence_activities()
        self.assertFalse([a for a in cadence if a.date_deadline.weekday() == 0], "no client contact on Monday")
        check = cadence.filtered(
            lambda a: a.activity_type_id == self.env.ref("broker_service.mail_activity_type_cadence_contact_check")
        )
        self.assertEqual(check.user_id, lead.broker_channel_id.user_id, "back to the channel's responsible")
        self.assertEqual(check.user_id, self.agent2)
        self.assertTrue(lead.first_response_date)
        # the client is reached: the remaining call-backs are cancelled
        lead.with_user(self.agent).action_client_reached()
        self.assertFalse(lead._broker_cadence_activities())

    def test_meeting_with_confirmation(self):
        meeting = self.env.ref("broker_service.calendar_event_demo_klimov")
        lead = self.env.ref("broker_crm.lead_demo_contract_data")
        confirmation = meeting.broker_confirmation_activity_id
        self.assertEqual(confirmation.res_id, lead.id)
        self.assertEqual(confirmation.user_id, self.agent)
        self.assertLess(confirmation.date_deadline, meeting._broker_meeting_date())
        self.assertNotEqual(meeting._broker_meeting_date().weekday(), 0, "no meeting on the quiet Monday")
        self.assertTrue(CYRILLIC.search(confirmation.summary))
        past = self.env.ref("broker_service.calendar_event_demo_smirnova")
        self.assertTrue(past.broker_next_action)
        self.assertFalse(past.broker_confirmation_activity_id)

    def test_agents_see_own_consultations_and_voices(self):
        Consultation = self.env["broker.consultation"]
        for user in (self.agent, self.agent2):
            seen = Consultation.with_user(user).search([("id", "in", self.consultations.ids)])
            self.assertEqual(seen, self.consultations.filtered(lambda c, u=user: c.lead_id.user_id == u))
            voices = self.env["broker.client.voice"].with_user(user).search([("id", "in", self.voices.ids)])
            self.assertEqual(voices, self.voices.filtered(lambda v, u=user: v.lead_id.user_id == u))
        # the team leader and the manager see the whole office
        for user in (self.leader, self.manager):
            seen = Consultation.with_user(user).search([("id", "in", self.consultations.ids)])
            self.assertEqual(seen, self.consultations)

    def test_personal_notes(self):
        client = self.env.ref("broker_crm.demo_client_ivanov")
        self.assertTrue(CYRILLIC.search(client.with_user(self.agent).broker_personal_notes))
        self.assertEqual(self.env.ref("broker_crm.lead_demo_range").partner_id, client)
        # personal data of the client: not for the accountant
        with self.assertRaises(AccessError):
            client.with_user(self.accountant).read(["broker_personal_notes"])
