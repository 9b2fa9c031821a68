from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BrokerMonitoringCommon, make_signal


@tagged("post_install", "-at_install")
class TestAccess(BrokerMonitoringCommon):
    freeze_time = "2025-03-15"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_own = cls._lead(user=cls.user_agent, step="contract")
        cls.lead_other = cls._lead(user=cls.user_agent2, step="contract")
        cls.lead_executed = cls._lead(user=cls.user_agent2, step="contract", executor_id=cls.user_agent.id)
        cls.sub_own = cls._subscribe(subject="OWN", lead_id=cls.lead_own.id)
        cls.sub_other = cls._subscribe(subject="OTHER", lead_id=cls.lead_other.id, user_id=cls.user_agent2.id)
        cls.sub_executed = cls._subscribe(subject="EXEC", lead_id=cls.lead_executed.id, user_id=cls.user_agent2.id)
        cls.sub_no_lead = cls._subscribe(subject="NOLEAD", user_id=cls.user_agent.id)
        run = cls.env["broker.monitoring.run"].create({"provider_id": cls.provider.id})
        cls.env["broker.monitoring.signal"]._ingest(
            cls.provider, run,
            [make_signal(1, subject="OWN"), make_signal(2, subject="OTHER"), make_signal(3, subject="EXEC"),
             make_signal(4, subject="NOLEAD"), make_signal(5, subject="UNKNOWN")],
        )  # fmt: skip
        cls.signals = {s.subject_ref: s for s in cls.env["broker.monitoring.signal"].search([])}

    def test_agent_sees_signals_of_own_leads_and_subscriptions_only(self):
        Signal = self.env["broker.monitoring.signal"].with_user(self.user_agent)
        # the bureau subject is for managers: read back as the system what the agent found
        self.assertEqual(set(Signal.search([]).sudo().mapped("subject_ref")), {"OWN", "EXEC", "NOLEAD"})
        with self.assertRaises(AccessError):
            self.signals["OTHER"].with_user(self.user_agent).read(["creditor"])
        Signal2 = self.env["broker.monitoring.signal"].with_user(self.user_agent2)
        self.assertEqual(set(Signal2.search([]).sudo().mapped("subject_ref")), {"OTHER", "EXEC"})
        Subscription = self.env["broker.monitoring.subscription"].with_user(self.user_agent)
        self.assertEqual(Subscription.search([("id", "in", (self.sub_own | self.sub_other | self.sub_executed
                                                             | self.sub_no_lead).ids)]),
                         self.sub_own | self.sub_executed | self.sub_no_lead)  # fmt: skip
        Report = self.env["broker.monitoring.funnel.report"].with_user(self.user_agent)
        self.assertEqual(set(Report.search([]).mapped("subscription_id.subject_ref")), {"OWN", "NOLEAD"})

    def test_manager_sees_all_signals_including_unmatched(self):
        Signal = self.env["broker.monitoring.signal"].with_user(self.user_manager)
        self.assertEqual(
            set(Signal.search([]).mapped("subject_ref")) & {"OWN", "OTHER", "EXEC", "NOLEAD", "UNKNOWN"},
            {"OWN", "OTHER", "EXEC", "NOLEAD", "UNKNOWN"},
        )
        self.assertTrue(self.env["broker.monitoring.run"].with_user(self.user_manager).search([]))

    def test_agent_archives_but_cannot_delete(self):
        signal = self.signals["OWN"].with_user(self.user_agent)
        signal.action_mark_contacted()
        self.assertTrue(signal.contacted)
        with self.assertRaises(AccessError):
            signal.unlink()
        with self.assertRaises(AccessError):
            signal.write({"user_id": self.user_agent2.id})
        self.assertEqual(self.signals["OWN"].user_id, self.user_agent)
        signal.action_archive()
        self.assertFalse(self.signals["OWN"].active)
        with self.assertRaises(AccessError):
            self.sub_own.with_user(self.user_agent).unlink()
        self.sub_own.with_user(self.user_agent).action_archive()
        self.assertFalse(self.sub_own.active)
        with self.assertRaises(AccessError):
            self.env["broker.monitoring.signal"].with_user(self.user_agent).create(
                {"provider_id": self.provider.id, "external_id": "forged", "signal_type": "application",
                 "signal_date": "2025-03-01"}
            )  # fmt: skip

    def test_agent_has_no_run_log_and_no_provider_credentials(self):
        with self.assertRaises(AccessError):
            self.env["broker.monitoring.run"].with_user(self.user_agent).search([])
        self.provider.api_key = "top-secret"
        with self.assertRaises(AccessError):
            self.provider.with_user(self.user_manager).read(["api_key"])
        with self.assertRaises(AccessError):
            self.provider.with_user(self.user_agent).read(["api_login"])
        self.assertEqual(self.provider.with_user(self.user_admin).read(["api_key"])[0]["api_key"], "top-secret")
        fields = self.env["broker.monitoring.provider"].with_user(self.user_manager).fields_get()
        self.assertNotIn("api_key", fields)
