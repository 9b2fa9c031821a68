from odoo.tests import freeze_time, tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
class TestFirstResponse(BrokerServiceCommon):
    def _inbound(self, source, name="Inbound request"):
        # a request from the website or a chat-bot: no salesperson given
        return self.env["crm.lead"].create(
            {"name": name, "contact_name": "Client", "source_id": source.id, "team_id": self.team.id}
        )

    def test_inbound_lead_assigned_to_channel_responsible(self):
        with freeze_time("2026-11-17 10:00:00"):
            lead = self._inbound(self.env.ref("broker_service.utm_source_avito"))
        self.assertEqual(lead.broker_channel_id, self.channel_avito)
        self.assertEqual(lead.user_id, self.user_channel)
        phone = self.env["crm.lead"].create(
            {"name": "Call", "medium_id": self.env.ref("utm.utm_medium_phone").id, "user_id": self.user_agent.id}
        )
        self.assertEqual(phone.broker_channel_id, self.env.ref("broker_service.broker_channel_phone"))
        self.assertEqual(phone.user_id, self.user_agent, "an explicit salesperson is kept")

    def test_first_response_measured_and_escalated(self):
        avito = self.env.ref("broker_service.utm_source_avito")
        with freeze_time("2026-11-17 10:00:00"):
            answered = self._inbound(avito, "Answered")
            late = self._inbound(avito, "Late")
        Lead = self.env["crm.lead"]
        with freeze_time("2026-11-17 10:01:00"):
            answered.with_user(self.user_channel).message_post(body="internal", subtype_xmlid="mail.mt_note")
            self.assertFalse(answered.first_response_date, "an internal note is no contact")
        with freeze_time("2026-11-17 10:03:00"):
            answered.with_user(self.user_channel).message_post(
                body="Hello! When is it convenient to talk?", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            self.assertEqual(answered.first_response_minutes, 3.0)
            self.assertFalse(Lead._cron_escalate_first_response())
        with freeze_time("2026-11-17 10:06:00"):
            overdue = Lead.search([("first_response_overdue", "=", True), ("id", "in", (answered | late).ids)])
            self.assertEqual(overdue, late)
            self.assertTrue(late.first_response_overdue)
            self.assertEqual(Lead._cron_escalate_first_response(), late)
            escalation = late.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id == self.env.ref("broker_service.mail_activity_type_first_response_escalation")
                )
            )
            self.assertEqual(escalation.user_id, self.user_leader)
            self.assertFalse(answered.activity_ids)
        with freeze_time("2026-11-17 10:30:00"):
            self.assertFalse(Lead._cron_escalate_first_response(), "escalated once per lead")
            self.assertEqual(len(late.activity_ids), 1)
            call = late.activity_schedule("mail.mail_activity_data_call", user_id=self.user_channel.id)
            call.with_user(self.user_channel).action_done()
            self.assertEqual(late.first_response_minutes, 30.0)
            self.assertFalse(late.first_response_overdue)

    def test_report_median_and_p90(self):
        avito = self.env.ref("broker_service.utm_source_avito")
        telegram = self.env.ref("broker_service.utm_source_telegram")
        leads = self.env["crm.lead"]
        for minutes in range(1, 11):
            leads |= self._new_deal(source_id=avito.id, name=f"Avito {minutes}")
            leads[-1:].sudo().write(
                {
                    "request_date": "2026-11-17 10:00:00",
                    "first_response_date": f"2026-11-17 10:{minutes:02d}:00",
                }
            )
        other = self._new_deal(user=self.user_agent2, source_id=telegram.id)
        other.sudo().write({"request_date": "2026-11-17 10:00:00", "first_response_date": "2026-11-17 10:03:00"})
        self.env.flush_all()
        Report = self.env["broker.first.response.report"]
        agent = Report.search([("dimension", "=", "user"), ("user_id", "=", self.user_agent.id)])
        self.assertEqual(agent.lead_count, 10)
        self.assertAlmostEqual(agent.median_minutes, 5.5)
        self.assertAlmostEqual(agent.p90_minutes, 9.1)
        self.assertAlmostEqual(agent.avg_minutes, 5.5)
        channel = Report.search([("dimension", "=", "channel"), ("channel_id", "=", self.channel_avito.id)])
        self.assertEqual((channel.lead_count, channel.median_minutes), (10, 5.5))
        self.assertAlmostEqual(channel.p90_minutes, 9.1)
        agent2 = Report.search([("dimension", "=", "user"), ("user_id", "=", self.user_agent2.id)])
        self.assertEqual((agent2.median_minutes, agent2.p90_minutes), (3.0, 3.0))


@tagged("post_install", "-at_install")
class TestInstallOnExistingLeads(BrokerServiceCommon):
    def test_leads_older_than_the_addon_are_not_overdue(self):
        """Installed data only: leads that existed before the addon have no request time."""
        # Odoo's own sample leads predate the addon (the broker demo deals get theirs from the demo)
        installed = self.env.ref("broker_service.broker_channel_phone").create_date
        older = self.env["crm.lead"].search(
            [("create_date", "<", installed), ("team_id", "!=", self.env.ref("broker_crm.crm_team_broker").id)]
        )
        if not older:
            self.skipTest("no lead predates the addon in this database")
        self.assertFalse(any(older.mapped("request_date")))
        overdue = self.env["crm.lead"].search([("first_response_overdue", "=", True), ("id", "in", older.ids)])
        self.assertFalse(overdue, "old leads are neither overdue nor escalated after installing the addon")
