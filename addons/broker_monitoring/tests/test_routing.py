from odoo.tests import tagged

from .common import BrokerMonitoringCommon, make_signal


@tagged("post_install", "-at_install")
class TestRouting(BrokerMonitoringCommon):
    """Each row of the routing table: signal type x subscription reason -> action."""

    freeze_time = "2025-03-15"

    def _activities(self, record):
        # broker_crm plans its own activities on deals: look at the bureau ones only
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref("broker_monitoring.mail_activity_type_bureau_signal").id),
            ]
        )

    def test_contract_control_application_gives_owner_an_activity(self):
        lead = self._lead(step="contract")
        self._subscribe(lead_id=lead.id)
        _run, counts = self._ingest([make_signal(1, creditor="Tinkoff")])
        signal = self._signals()
        self.assertRecordValues(
            signal, [{"state": "routed", "route_action": "activity", "lead_id": lead.id, "user_id": self.user_agent.id,
                      "reason": "contract_control", "partner_id": self.client.id}]
        )  # fmt: skip
        self.assertEqual(counts["routed_count"], 1)
        activity = self._activities(lead)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_agent)
        self.assertEqual(activity.summary, "Bureau: Ivan Petrov applied for a credit at Tinkoff")
        self.assertEqual(activity.activity_type_id, self.env.ref("broker_monitoring.mail_activity_type_bureau_signal"))
        self.assertIn("stop parallel applications", activity.note)
        self.assertEqual(str(activity.date_deadline), "2025-03-16")

    def test_credit_issued_in_credit_support_marks_our_bank_and_prompts_fee(self):
        lead = self._lead(step="credit_support")
        self._subscribe(lead_id=lead.id, applied_creditors="Sberbank, VTB")
        self._ingest([make_signal(1, signal_type="credit_issued", creditor="VTB Bank", amount=1500000)])
        self.assertRecordValues(
            lead,
            [{"monitoring_issue_mark": "our_bank", "monitoring_issue_creditor": "VTB Bank",
              "monitoring_issue_amount": 1500000.0, "monitoring_issue_date": self._signals().signal_date}],
        )  # fmt: skip
        self.assertEqual(self._signals().issue_mark, "our_bank")
        activity = self._activities(lead)
        self.assertIn("issue the act and the fee invoice", activity.summary)

    def test_credit_issued_elsewhere_is_marked_elsewhere(self):
        lead = self._lead(step="credit_support")
        self._subscribe(lead_id=lead.id, applied_creditors="Sberbank")
        self._ingest([make_signal(1, signal_type="credit_issued", creditor="Alfa-Bank")])
        self.assertEqual(lead.monitoring_issue_mark, "elsewhere")
        self.assertIn("Credit issued elsewhere (Alfa-Bank)", self._activities(lead).summary)

    def test_credit_issued_before_contract_is_only_an_activity(self):
        lead = self._lead(step="new")
        self._subscribe(lead_id=lead.id)
        self._ingest([make_signal(1, signal_type="credit_issued")])
        self.assertFalse(lead.monitoring_issue_mark)
        self.assertIn("Bureau: Ivan Petrov got a credit at Alfa-Bank (", self._activities(lead).summary)

    def test_win_back_reopens_the_lost_deal(self):
        lead = self._lead()
        lead.action_archive()
        self._subscribe(lead_id=lead.id, reason="win_back")
        self._ingest([make_signal(1), make_signal(2)])
        self.assertTrue(lead.active)
        self.assertEqual(self._signals().mapped("deal_reopened"), [True, True])
        activity = self._activities(lead)
        self.assertEqual(len(activity), 1, "one call per client, not per signal")
        self.assertIn("Win-back: Ivan Petrov applies for a credit again", activity.summary)

    def test_win_back_without_deal_creates_one_deal_per_client(self):
        subscription = self._subscribe(reason="win_back")
        Lead = self.env["crm.lead"].with_context(active_test=False)
        before = Lead.search_count([("partner_id", "=", self.client.id)])
        self._ingest([make_signal(1), make_signal(2)])
        self.assertEqual(Lead.search_count([("partner_id", "=", self.client.id)]), before + 1)
        lead = subscription.lead_id
        self.assertTrue(lead)
        self.assertEqual(lead.user_id, self.user_agent)
        self.assertEqual(lead.name, "Win-back: Ivan Petrov")
        self.assertEqual(self._signals().lead_id, lead)
        self.assertEqual(len(self._activities(lead)), 1)

    def test_long_pause_application_reopens_an_issued_deal_as_a_new_one(self):
        old = self._lead(step="credit_issued")
        subscription = self._subscribe(lead_id=old.id, reason="long_pause")
        self._ingest([make_signal(1)])
        self.assertNotEqual(subscription.lead_id, old)
        self.assertEqual(subscription.lead_id.partner_id, self.client)

    def test_several_signals_of_one_client_in_one_batch(self):
        """The responsible is not a follower yet (mass import): each signal still gets its activity."""
        subscription = self._subscribe(reason="existing")
        subscription.message_unsubscribe(partner_ids=self.user_agent.partner_id.ids)
        self._ingest([make_signal(1), make_signal(2, signal_type="overdue"), make_signal(3)])
        self.assertEqual(len(self._activities(subscription)), 3)
        self.assertIn(self.user_agent.partner_id, subscription.message_partner_ids)

    def test_existing_client_overdue_raises_an_alert(self):
        subscription = self._subscribe(reason="existing")
        self._ingest([make_signal(1, signal_type="overdue", creditor="VTB")])
        self.assertEqual(self._signals().route_action, "overdue_alert")
        activity = self._activities(subscription)
        self.assertEqual(activity.summary, "Overdue alert: Ivan Petrov is overdue at VTB")
        self.assertEqual(str(activity.date_deadline), "2025-03-15")
        self.assertEqual(activity.user_id, self.user_agent)

    def test_store_only_rule_and_unknown_subject_are_not_routed(self):
        self._subscribe(reason="win_back")
        self._ingest([make_signal(1, signal_type="credit_closed"), make_signal(2, subject="NOBODY")])
        closed, unknown = self._signals().sorted("external_id")
        self.assertRecordValues(closed, [{"state": "not_routed", "route_note": "No routing rule: stored only."}])
        self.assertRecordValues(
            unknown,
            [{"state": "not_routed", "subscription_id": False, "route_note": "No subscription for this subject."}],
        )
        self.assertFalse(self.env["mail.activity"].search([("summary", "like", "Ivan Petrov")]))

    def test_rules_are_configurable(self):
        rule = self.env.ref("broker_monitoring.rule_existing_overdue")
        rule.action = "none"
        self._subscribe(reason="existing")
        self._ingest([make_signal(1, signal_type="overdue")])
        self.assertEqual(self._signals().state, "not_routed")
        rule.action = "activity"
        self._ingest([make_signal(2, signal_type="overdue")])
        self.assertEqual(self._signals().filtered(lambda s: s.external_id == "sig-2").route_action, "activity")

    def test_expired_or_cancelled_subscription_stores_but_does_not_route(self):
        lead = self._lead(step="contract")
        expired = self._subscribe(subject="OLD", lead_id=lead.id, date_start="2024-09-01", date_end="2025-03-01")
        cancelled = self._subscribe(subject="STOP", lead_id=lead.id, state="cancelled")
        self._ingest([make_signal(1, subject="OLD"), make_signal(2, subject="STOP")])
        signals = self._signals()
        self.assertEqual(len(signals), 2, "signals are kept")
        self.assertEqual(set(signals.mapped("state")), {"not_routed"})
        self.assertEqual(signals.subscription_id, expired | cancelled)
        self.assertFalse(self._activities(lead))
        self.assertIn("not on monitoring", signals[0].route_note)

    def test_expiry_cron_and_default_period_by_reason(self):
        subscriptions = {
            reason: self._subscribe(subject=reason, reason=reason, date_start="2024-12-01")
            for reason in ("contract_control", "win_back", "existing", "preparing", "long_pause")
        }
        self.assertEqual(
            {reason: str(sub.date_end) for reason, sub in subscriptions.items()},
            {"contract_control": "2025-03-01", "win_back": "2025-06-01", "existing": "2025-06-01",
             "preparing": "2025-06-01", "long_pause": "2025-06-01"},
            "12 months are capped to the consent's 6 (218-FZ art. 6)",
        )  # fmt: skip
        self.env["broker.monitoring.subscription"]._cron_expire()
        self.assertEqual(subscriptions["contract_control"].state, "expired")
        self.assertEqual(subscriptions["win_back"].state, "active")
        self.assertEqual(subscriptions["win_back"].days_left, 78)
        subscriptions["contract_control"].action_renew()
        self.assertEqual(subscriptions["contract_control"].state, "active")
        self.assertEqual(str(subscriptions["contract_control"].date_start), "2025-03-15")
        # three months from today, but the consent of 2024-12-01 ends on 2025-06-01
        self.assertEqual(str(subscriptions["contract_control"].date_end), "2025-06-01")

    def test_funnel_report_counts_each_step_per_reason(self):
        lead = self._lead()
        lead.action_archive()
        self._subscribe(lead_id=lead.id, reason="win_back")
        self._subscribe(subject="EXISTING", reason="existing")
        self._ingest([make_signal(1), make_signal(2, subject="EXISTING", signal_type="overdue")])
        win_back = self._signals().filtered(lambda s: s.reason == "win_back")
        win_back.with_user(self.user_agent).action_mark_contacted()
        lead.stage_id = self.stages["credit_issued"]
        self.env.flush_all()
        Report = self.env["broker.monitoring.funnel.report"]
        rows = {
            row["reason"]: row
            for row in Report.read_group(
                [("subscription_id.partner_id", "=", self.client.id)],
                ["signal_count:sum", "contacted_count:sum", "reopened_count:sum", "issued_count:sum"],
                ["reason"],
            )
        }
        self.assertEqual(
            [rows["win_back"][k] for k in ("signal_count", "contacted_count", "reopened_count", "issued_count")],
            [1, 1, 1, 1],
        )
        self.assertEqual(
            [rows["existing"][k] for k in ("signal_count", "contacted_count", "reopened_count", "issued_count")],
            [1, 0, 0, 0],
        )
