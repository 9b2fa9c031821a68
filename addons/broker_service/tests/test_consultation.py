from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
class TestConsultation(BrokerServiceCommon):
    def test_consultation_log_required_on_close(self):
        lead = self._new_deal()
        task = lead.activity_schedule("broker_service.mail_activity_type_consultation", user_id=self.user_agent.id)
        Consultation = self.env["broker.consultation"].with_user(self.user_agent)
        with self.assertRaisesMessage(UserError, "Record the consultation"):
            task.with_user(self.user_agent).action_done()
        self.assertTrue(task.exists())
        self.assertFalse(Consultation.search([("lead_id", "=", lead.id)]))
        consultation = Consultation.create(
            {
                "lead_id": lead.id,
                "mode": "offline",
                "summary": "Mortgage conditions and risks",
                "outcome": "Client sends the documents by Friday",
            }
        )
        self.assertEqual(consultation.activity_id, task)
        self.assertEqual(consultation.partner_id, lead.partner_id)
        task.with_user(self.user_agent).action_done()
        self.assertFalse(task.exists())
        self.assertTrue(lead.first_response_date)

    def test_client_voice_and_personal_notes(self):
        lead = self._new_deal()
        Voice = self.env["broker.client.voice"].with_user(self.user_agent)
        voice = Voice.create(
            {"lead_id": lead.id, "kind": "request", "product_offered": False, "text": "Wants gold investments"}
        )
        self.assertEqual(voice.state, "new")
        groups = Voice.read_group([("id", "=", voice.id)], ["kind"], ["kind"])
        self.assertEqual(groups[0]["kind_count"], 1)
        partner = self.env["res.partner"].with_user(self.user_agent).create({"name": "Pavel"})
        partner.broker_personal_notes = "Prefers Telegram, no calls before noon"
        self.assertEqual(partner.read(["broker_personal_notes"])[0]["broker_personal_notes"][:16], "Prefers Telegram")

    def test_bad_input(self):
        with self.assertRaisesMessage(ValidationError, "UTM source"):
            self.env["broker.channel"].create({"name": "Nowhere"})
        self.assertFalse(self.env["broker.channel"].search([("name", "=", "Nowhere")]))
        with self.assertRaises(UserError):
            self.env["crm.lead"].search([("first_response_overdue", ">", 3)])


@tagged("post_install", "-at_install")
class TestErasure(BrokerServiceCommon):
    def test_erasure_removes_the_service_notes(self):
        client = self.env["res.partner"].create({"name": "Notes Client", "broker_personal_notes": "Calls after 6 pm"})
        lead = self._new_deal(partner_id=client.id)
        consultation = (
            self.env["broker.consultation"]
            .with_user(self.user_agent)
            .create(
                {"lead_id": lead.id, "mode": "online", "summary": "Talked about his debts", "outcome": "Sends papers"}
            )
        )
        voice = (
            self.env["broker.client.voice"]
            .with_user(self.user_agent)
            .create({"lead_id": lead.id, "kind": "wish", "text": "Wants a call on Sundays"})
        )
        client.with_user(self.user_manager).action_broker_erase_personal_data()
        self.assertFalse(client.broker_personal_notes)
        self.assertNotIn("debts", consultation.summary)
        self.assertNotIn("Sundays", voice.text)
        log = self.env["broker.erasure.log"].search([("partner_id", "=", client.id)])
        self.assertIn("personal notes", log.categories)
