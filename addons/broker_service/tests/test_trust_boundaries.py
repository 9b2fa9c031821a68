from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-11-18 09:00:00")  # a Wednesday
class TestTrustBoundaries(BrokerServiceCommon):
    """An agent reaches another agent's deal through none of the service records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.env["res.partner"].create({"name": "Secret Client Ivanov"})
        cls.lead = cls._new_deal(partner_id=cls.client.id)
        cls.lead_agent2 = cls._new_deal(user=cls.user_agent2, name="Boris's deal")
        cls.confirmation_type = cls.env.ref("broker_service.mail_activity_type_meeting_confirmation")

    def _event_vals(self, lead=None, **vals):
        values = {"name": "Meeting", "start": "2026-11-20 11:00:00", "stop": "2026-11-20 12:00:00"}
        if lead:
            values.update(
                opportunity_id=lead.id,
                res_model_id=self.env["ir.model"]._get_id("crm.lead"),
                res_id=lead.id,
            )
        values.update(vals)
        return values

    def _followers(self, lead):
        return self.env["mail.followers"].search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)]).partner_id

    # ------------------------------------------------------------------ meetings
    def test_meeting_on_foreign_deal_refused(self):
        Event = self.env["calendar.event"].with_user(self.user_agent2)
        ir_model = self.env["ir.model"]._get_id("crm.lead")
        for vals in (
            self._event_vals(self.lead, user_id=self.user_agent2.id),
            self._event_vals(opportunity_id=self.lead.id, user_id=self.user_agent2.id),
            self._event_vals(res_model_id=ir_model, res_id=self.lead.id, user_id=self.user_agent2.id),
        ):
            with self.assertRaises(AccessError):
                Event.create(vals)
        self.assertNotIn(self.user_agent2.partner_id, self._followers(self.lead))
        self.assertFalse(self.lead.activity_ids)
        self.assertFalse(self.env["calendar.event"].search([("opportunity_id", "=", self.lead.id)]))

    def test_meeting_moved_to_foreign_deal_refused(self):
        event = self.env["calendar.event"].with_user(self.user_agent2).create(self._event_vals(self.lead_agent2))
        self.assertEqual(event.broker_confirmation_activity_id.res_id, self.lead_agent2.id)
        with self.assertRaises(AccessError):
            event.write({"opportunity_id": self.lead.id, "res_id": self.lead.id})
        self.assertEqual(event.opportunity_id, self.lead_agent2)
        self.assertNotIn(self.user_agent2.partner_id, self._followers(self.lead))
        self.assertFalse(self.lead.activity_ids)

    def test_foreign_deal_meeting_not_rescheduled_by_others(self):
        event = self.env["calendar.event"].with_user(self.user_agent).create(self._event_vals(self.lead))
        confirmation = event.broker_confirmation_activity_id
        self.assertTrue(confirmation)
        # the calendar lets any employee edit a public meeting, but not re-plan tasks on a deal they cannot change
        with self.assertRaises(AccessError):
            event.with_user(self.user_agent2).write(
                {"user_id": self.user_agent2.id, "start": "2026-11-24 11:00:00", "stop": "2026-11-24 12:00:00"}
            )
        self.assertTrue(confirmation.exists())
        self.assertNotIn(self.user_agent2.partner_id, self._followers(self.lead))
        # the team leader works the deal and re-plans the meeting
        event.with_user(self.user_leader).write({"start": "2026-11-24 11:00:00", "stop": "2026-11-24 12:00:00"})
        self.assertFalse(confirmation.exists())
        self.assertEqual(event.broker_confirmation_activity_id.res_id, self.lead.id)

    def test_confirmation_task_not_set_by_hand(self):
        foreign_task = self.lead.activity_schedule("mail.mail_activity_data_todo", user_id=self.user_agent.id)
        Event = self.env["calendar.event"].with_user(self.user_agent2)
        with self.assertRaises(AccessError):
            Event.create(self._event_vals(broker_confirmation_activity_id=foreign_task.id))
        own_event = Event.create(self._event_vals())
        with self.assertRaises(AccessError):
            own_event.write({"broker_confirmation_activity_id": foreign_task.id, "start": "2026-11-25 11:00:00"})
        with self.assertRaises(AccessError):
            own_event.write({"broker_confirmation_activity_id": foreign_task.id})
        own_event.write({"start": "2026-11-25 11:00:00", "stop": "2026-11-25 12:00:00"})
        self.assertTrue(foreign_task.exists())
        self.assertFalse(own_event.broker_confirmation_activity_id)
        # the same through the web client's RPC
        with self.assertRaises(AccessError):
            own_event.web_save({"broker_confirmation_activity_id": foreign_task.id}, {})
        self.assertTrue(foreign_task.exists())

    # ------------------------------------------------------------------ consultations and voice of the client
    def test_record_linked_to_foreign_deal_refused(self):
        for model, vals in (
            ("broker.consultation", {"summary": "Options", "outcome": "Thinks"}),
            ("broker.client.voice", {"kind": "complaint", "text": "Slow"}),
        ):
            Model = self.env[model].with_user(self.user_agent2)
            with self.assertRaises(AccessError):
                Model.create({**vals, "lead_id": self.lead.id})
            own = Model.create({**vals, "lead_id": self.lead_agent2.id})
            with self.assertRaises(AccessError):
                own.write({"lead_id": self.lead.id})
            self.assertEqual(own.lead_id, self.lead_agent2)
            # the deal's client never reaches a record the agent sees
            self.assertFalse(self.env[model].search([("partner_id", "=", self.client.id)]))
            self.assertNotIn("Ivanov", str(own.with_user(self.user_agent2).read()))
            # the deal's owner links records to it
            mine = self.env[model].with_user(self.user_agent).create({**vals, "lead_id": self.lead.id})
            self.assertEqual(mine.partner_id, self.client)

    # ------------------------------------------------------------------ the channel responsible
    def test_channel_responsible_reads_writes_but_neither_creates_for_others_nor_deletes(self):
        avito = self.env.ref("broker_service.utm_source_avito")
        lead = self._new_deal(source_id=avito.id)
        self.assertEqual(lead.broker_channel_id.user_id, self.user_channel)
        as_channel = lead.with_user(self.user_channel)
        as_channel.write({"description": "Checked the phone number"})
        with self.assertRaises(AccessError):
            as_channel.check_access("unlink")
        as_channel.unlink()  # archives, as for anybody but administrators
        self.assertTrue(lead.exists())
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(self.user_channel).create(
                {"name": "Someone else's", "type": "opportunity", "user_id": self.user_agent2.id, "source_id": avito.id}
            )
        # own requests of the channel are created as usual
        own = self.env["crm.lead"].with_user(self.user_channel).create({"name": "Inbound", "source_id": avito.id})
        self.assertEqual(own.user_id, self.user_channel)

    # ------------------------------------------------------------------ the first-response figures
    def test_agent_cannot_fake_own_first_response(self):
        lead = self.lead.with_user(self.user_agent)
        for vals in ({"first_response_date": "2026-11-17 10:01:00"}, {"first_response_escalated": True}):
            with self.assertRaises(AccessError):
                lead.write(vals)
            with self.assertRaises(AccessError):
                self.env["crm.lead"].with_user(self.user_agent).create({"name": "Fake", **vals})
        self.assertFalse(self.lead.first_response_date)
        self.assertFalse(self.lead.first_response_escalated)
        # a manager corrects the figure
        self.lead.with_user(self.user_manager).write({"first_response_date": "2026-11-17 10:01:00"})
        self.assertTrue(self.lead.first_response_date)

    # ------------------------------------------------------------------ personal notes
    def test_personal_notes_for_sales_staff_only(self):
        self.client.broker_personal_notes = "Prefers Telegram"
        self.assertEqual(self.client.with_user(self.user_agent).broker_personal_notes, "Prefers Telegram")
        with self.assertRaises(AccessError):
            self.client.with_user(self.user_accountant).read(["broker_personal_notes"])
        with self.assertRaises(AccessError):
            self.client.with_user(self.user_accountant).write({"broker_personal_notes": "x"})
        # the accountant still opens the contact form (the notes page is hidden)
        Partner = self.env["res.partner"].with_user(self.user_accountant)
        views = Partner.get_views([(False, "form")])
        form_arch = views["views"]["form"]["arch"]
        self.assertNotIn("broker_personal_notes", form_arch)
        self.assertNotIn("broker_consultation_ids", form_arch)
        fields_spec = {fname: {} for fname in views["models"]["res.partner"]["fields"]}
        self.assertTrue(self.client.with_user(self.user_accountant).web_read(fields_spec))
