from odoo.tests import TransactionCase, tagged

from ..models.broker_monitoring_subscription import REASONS

# the demo bureau file's signals by whose client they are (external ids)
AGENT_SIGNALS = {"ebk-2026-118402", "ebk-2026-118404", "ebk-2026-118408", "ebk-2026-118409", "ebk-2026-118410"}
AGENT2_SIGNALS = {"ebk-2026-118401", "ebk-2026-118406", "ebk-2026-118407", "ebk-2026-118411"}
# the mass-base contact (the manager's) and a subject nobody watches
OTHER_SIGNALS = {"ebk-2026-118403", "ebk-2026-118405"}


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo office: every use of monitoring, and the bureau's file fetched and routed at install."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = cls.env.ref("broker_crm.demo_user_agent", raise_if_not_found=False)
        cls.provider = cls.env.ref("broker_monitoring.monitoring_provider_demo_file", raise_if_not_found=False)

    def setUp(self):
        super().setUp()
        if not (self.agent and self.provider):
            self.skipTest("the database was installed without demo data")
        self.signals = self.env["broker.monitoring.signal"].search([("provider_id", "=", self.provider.id)])
        self.by_id = {signal.external_id: signal for signal in self.signals}

    def _ref(self, xmlid):
        return self.env.ref(xmlid).with_context(active_test=False)

    def _bureau_activities(self, record):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref("broker_monitoring.mail_activity_type_bureau_signal").id),
            ]
        )

    def test_a_subscription_per_reason_on_distinct_subjects(self):
        subscriptions = self.env["broker.monitoring.subscription"].with_context(active_test=False).search([])
        demo = subscriptions.filtered(lambda s: s.get_external_id()[s.id].startswith("broker_monitoring."))
        running = demo.filtered(lambda s: s.state == "active")
        self.assertEqual(set(running.mapped("reason")), {key for key, _label in REASONS})
        self.assertEqual(len(set(demo.mapped("subject_ref"))), len(demo))
        # on the office's deals, whose owner the subscription follows
        contract = self._ref("broker_monitoring.monitoring_subscription_demo_contract")
        self.assertEqual(contract.lead_id, self._ref("broker_crm.lead_demo_support"))
        self.assertEqual(contract.user_id, self.agent)
        # the INN is the company's: the company is watched, not its contact person
        self.assertEqual(contract.partner_id, contract.lead_id.partner_id.commercial_partner_id)
        self.assertEqual(contract.partner_id.name, "АО «Технопарк»")
        self.assertGreater(contract.days_left, 0)
        self.assertEqual(self._ref("broker_monitoring.monitoring_subscription_demo_expired").days_left, 0)

    def test_file_fetched_once_and_logged(self):
        run = self.provider.run_ids
        self.assertEqual(len(run), 1)
        self.assertRecordValues(
            run,
            [{"state": "done", "page_count": 1, "fetched_count": 13, "new_count": 11, "duplicate_count": 1,
              "rejected_count": 1, "routed_count": 8, "error_count": 0}],
        )  # fmt: skip
        self.assertIn("bankruptcy", run.rejection_ids.reason)
        self.assertEqual(set(self.by_id), AGENT_SIGNALS | AGENT2_SIGNALS | OTHER_SIGNALS)
        # a second fetch finds nothing new: the position was kept
        self.assertEqual(self.provider.sudo()._fetch_signals().new_count, 0)

    def test_inbox_has_signals_in_several_states(self):
        self.assertEqual(set(self.signals.mapped("state")), {"routed", "not_routed"})
        self.assertEqual(
            set(self.signals.mapped("route_action")) - {False},
            {"activity", "win_back", "mark_issued", "overdue_alert", "inbox"},
        )
        self.assertEqual(
            {external_id for external_id, signal in self.by_id.items() if signal.contacted},
            {"ebk-2026-118404", "ebk-2026-118407"},
        )
        not_routed = self.signals.filtered(lambda s: s.state == "not_routed")
        self.assertEqual(
            set(not_routed.mapped("external_id")), {"ebk-2026-118401", "ebk-2026-118402", "ebk-2026-118403"}
        )

    def test_credit_issued_elsewhere_on_the_deal_in_credit_support(self):
        lead = self._ref("broker_crm.lead_demo_support")
        self.assertEqual(lead.broker_step, "credit_support")
        self.assertRecordValues(
            lead, [{"monitoring_issue_mark": "elsewhere", "monitoring_issue_creditor": "ПАО «Промсвязьбанк»",
                    "monitoring_issue_amount": 30000000.0}]
        )  # fmt: skip
        activities = self._bureau_activities(lead)
        self.assertEqual(len(activities), 2)
        self.assertEqual(activities.user_id, self.agent)
        self.assertIn("Кредит выдан в другом месте", " ".join(activities.mapped("summary")))
        approved = self._ref("broker_crm.lead_demo_approved")
        self.assertEqual(approved.monitoring_issue_mark, "our_bank")
        self.assertEqual(self._bureau_activities(approved).user_id, approved.user_id)

    def test_win_back_reopens_the_lost_deal_and_opens_a_new_one(self):
        lost = self._ref("broker_crm.lead_demo_lost")
        self.assertTrue(lost.active)
        self.assertTrue(self.by_id["ebk-2026-118407"].deal_reopened)
        self.assertEqual(self._bureau_activities(lost).user_id, lost.user_id)
        pause = self._ref("broker_monitoring.monitoring_subscription_demo_long_pause")
        new_deal = pause.lead_id
        self.assertTrue(new_deal)
        self.assertEqual(new_deal.name, "Дожим: Алексей Никитин")
        self.assertEqual(new_deal.user_id, self.agent)
        self.assertEqual(new_deal.partner_id, self._ref("broker_monitoring.demo_client_long_pause"))
        self.assertEqual(self._bureau_activities(new_deal).user_id, self.agent)

    def test_overdue_alert_and_preparing_activities(self):
        overdue = self.by_id["ebk-2026-118408"]
        self.assertEqual(overdue.route_action, "overdue_alert")
        lead = self._ref("broker_crm.lead_demo_act")
        activity = self._bureau_activities(lead)
        self.assertEqual(activity.user_id, self.agent)
        self.assertTrue(activity.summary.startswith("Внимание, просрочка"))
        # due the day the signal came (the office's day, the creation stamp is in UTC)
        self.assertLessEqual(abs((activity.date_deadline - overdue.create_date.date()).days), 1)
        preparing = self._ref("broker_crm.lead_demo_pre_analysis")
        self.assertIn("проверьте, готов ли он", self._bureau_activities(preparing).note)

    def test_each_agent_sees_only_their_clients_signals(self):
        Signal = self.env["broker.monitoring.signal"]
        domain = [("provider_id", "=", self.provider.id)]
        self.assertEqual(set(Signal.with_user(self.agent).search(domain).mapped("external_id")), AGENT_SIGNALS)
        agent2 = self.env.ref("broker_crm.demo_user_agent2")
        self.assertEqual(set(Signal.with_user(agent2).search(domain).mapped("external_id")), AGENT2_SIGNALS)
        manager = self.env.ref("broker_crm.demo_user_manager")
        self.assertEqual(Signal.with_user(manager).search_count(domain), len(self.signals))
        Report = self.env["broker.monitoring.funnel.report"]
        self.assertEqual(Report.with_user(self.agent).search([]).user_id, self.agent)
