from odoo.tests import tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
class TestSmoke(BrokerServiceCommon):
    def test_agent_opens_consultations_and_logs_one(self):
        action = self.env.ref("broker_service.broker_consultation_action")
        self.assertEqual(action.res_model, "broker.consultation")
        Consultation = self.env["broker.consultation"].with_user(self.user_agent)
        views = Consultation.get_views([(False, "list"), (False, "form"), (False, "search")])
        self.assertEqual(set(views["views"]), {"list", "form", "search"})
        lead = self._new_deal()
        consultation = Consultation.create(
            {"lead_id": lead.id, "mode": "offline", "summary": "Mortgage options", "outcome": "Sends documents"}
        )
        self.assertEqual(consultation.read(["mode"])[0]["mode"], "offline")
