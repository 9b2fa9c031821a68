import base64
import json

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BrokerMonitoringCommon, make_signal


@tagged("post_install", "-at_install")
class TestIngest(BrokerMonitoringCommon):
    freeze_time = "2025-03-15"

    def test_queries_per_thousand_signals_are_bounded(self):
        """1,000 routed signals cost a fixed number of queries, not one per signal."""
        clients = self.env["res.partner"].create([{"name": f"Client {i}"} for i in range(100)])
        self.env["broker.consent"].create(
            [{"partner_id": c.id, "kind": "credit_history", "method": "sms", "date_given": "2025-03-01",
              "purpose": "Credit history request and bureau monitoring"} for c in clients]
        )  # fmt: skip
        subscriptions = self.env["broker.monitoring.subscription"].create(
            [{"partner_id": c.id, "reason": "existing", "subject_ref": f"S{i}", "user_id": self.user_agent.id,
              "date_start": "2025-03-01"} for i, c in enumerate(clients)]
        )  # fmt: skip
        kinds = ["application", "overdue", "credit_closed", "credit_issued"]
        items = [make_signal(i, signal_type=kinds[i % 4], subject=f"S{i % 150}") for i in range(1000)]
        run = self.env["broker.monitoring.run"].create({"provider_id": self.provider.id})
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(60):
            counts = self.env["broker.monitoring.signal"]._ingest(self.provider, run, items)
            self.env.flush_all()
        self.assertEqual(counts["new_count"], 1000)
        # signals of the 50 unknown subjects are stored, not routed; credit_closed is store-only
        self.assertEqual(counts["routed_count"], len([i for i in range(1000) if i % 150 < 100 and i % 4 != 2]))
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "broker.monitoring.subscription"), ("res_id", "in", subscriptions.ids)]
        )
        self.assertEqual(len(activities), counts["routed_count"])

    def test_jsonl_file_connector_rejects_bad_lines_and_resumes(self):
        lines = [json.dumps(make_signal(i)) for i in range(5)]
        lines.insert(2, '{"id": "broken", "type": ')
        lines.insert(4, "")
        provider = self.env["broker.monitoring.provider"].create(
            {"name": "Bureau file", "connector_type": "jsonl", "page_size": 4,
             "import_file": base64.b64encode("\n".join(lines).encode())}
        )  # fmt: skip
        run = provider._fetch_signals()
        self.assertEqual(sorted(self._signals(provider).mapped("external_id")), [f"sig-{i}" for i in range(5)])
        self.assertRecordValues(run, [{"state": "done", "page_count": 2, "new_count": 5, "rejected_count": 1}])
        self.assertTrue(run.rejection_ids.reason.startswith("invalid JSON"))
        self.assertEqual(provider.cursor, "7")
        # rerun: nothing left after the cursor
        self.assertRecordValues(provider._fetch_signals(), [{"fetched_count": 0, "new_count": 0}])
        # same file from the start: every signal is a duplicate
        provider.action_reset_cursor()
        self.assertRecordValues(provider._fetch_signals(), [{"new_count": 0, "duplicate_count": 5}])
        # a new file restarts the cursor
        provider.import_file = base64.b64encode(json.dumps(make_signal(9)).encode())
        self.assertFalse(provider.cursor)
        self.assertRecordValues(provider._fetch_signals(), [{"new_count": 1}])
        # a position that is not a line number is refused, not guessed
        provider.cursor = "p42"
        with mute_logger("odoo.addons.broker_monitoring.models.broker_monitoring_provider"):
            run = provider._fetch_signals()
        self.assertRecordValues(run, [{"state": "failed", "message": "invalid file position 'p42'", "new_count": 0}])
        self.assertEqual(provider.cursor, "p42")

    def test_same_external_id_from_two_providers_is_two_signals(self):
        other = self.provider.copy({"name": "Other bureau"})
        self._ingest([make_signal(1)])
        self._ingest([make_signal(1)], provider=other)
        self.assertEqual(len(self._signals()) + len(self._signals(other)), 2)

    def test_fetch_now_is_for_managers(self):
        provider = self.env["broker.monitoring.provider"].create(
            {"name": "Bureau file", "connector_type": "jsonl",
             "import_file": base64.b64encode(json.dumps(make_signal(1)).encode())}
        )  # fmt: skip
        with self.assertRaises(AccessError):
            provider.with_user(self.user_agent).action_fetch_now()
        self.assertFalse(self._signals(provider))
        action = provider.with_user(self.user_manager).action_fetch_now()
        self.assertEqual(action["res_model"], "broker.monitoring.run")
        self.assertEqual(self._signals(provider).mapped("external_id"), ["sig-1"])
