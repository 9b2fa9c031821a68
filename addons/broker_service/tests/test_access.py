from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
class TestAccess(BrokerServiceCommon):
    def test_agents_see_own_managers_all_nobody_deletes(self):
        lead = self._new_deal()
        consultation = (
            self.env["broker.consultation"]
            .with_user(self.user_agent)
            .create({"lead_id": lead.id, "summary": "Options", "outcome": "Thinks it over"})
        )
        voice = (
            self.env["broker.client.voice"]
            .with_user(self.user_agent)
            .create({"lead_id": lead.id, "kind": "complaint", "text": "Slow answer"})
        )
        for record in (consultation, voice):
            with self.assertRaises(AccessError):
                record.with_user(self.user_agent2).read(["user_id"])
            self.assertTrue(record.with_user(self.user_leader).read(["user_id"]), "the team leader sees it")
            self.assertTrue(record.with_user(self.user_manager).read(["user_id"]))
            with self.assertRaises(AccessError):
                record.with_user(self.user_agent).unlink()
            record.with_user(self.user_agent).action_archive()
            self.assertFalse(record.active)
        with self.assertRaises(AccessError):
            self.env["broker.channel"].with_user(self.user_agent).create(
                {"name": "Forum", "source_id": self.env.ref("utm.utm_source_search_engine").id}
            )
        with self.assertRaises(AccessError):
            self.env["broker.first.response.report"].with_user(self.user_agent).search([])
        self.assertIsNotNone(self.env["broker.first.response.report"].with_user(self.user_manager).search([]))

    def test_channel_responsible_sees_channel_leads(self):
        lead = self._new_deal(source_id=self.env.ref("broker_service.utm_source_avito").id)
        self.assertTrue(lead.with_user(self.user_channel).read(["name"]))
        other = self._new_deal()
        with self.assertRaises(AccessError):
            other.with_user(self.user_channel).read(["name"])
