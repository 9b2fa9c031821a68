import time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .bureau_server import BureauServer
from .common import BrokerMonitoringCommon, make_signal

PROVIDER_LOGGER = "odoo.addons.broker_monitoring.models.broker_monitoring_provider"


@tagged("post_install", "-at_install")
class TestHttpConnector(BrokerMonitoringCommon):
    """The HTTP JSON connector against a real bureau server on 127.0.0.1."""

    def _serve(self, signals):
        server = BureauServer(signals)
        self.enterContext(server)
        self.provider.url = server.url
        return server

    def test_paging_by_cursor_fetches_every_page_once(self):
        server = self._serve([make_signal(i) for i in range(7)])
        self.provider.api_key = "secret-token"
        run = self.provider._fetch_signals()
        self.assertEqual(server.requested_cursors(), ["", "p3", "p6"])
        self.assertEqual(server.requests[0][1].get("Authorization"), "Bearer secret-token")
        self.assertEqual(sorted(self._signals().mapped("external_id")), sorted(f"sig-{i}" for i in range(7)))
        self.assertRecordValues(
            run,
            [{"state": "done", "page_count": 3, "fetched_count": 7, "new_count": 7, "duplicate_count": 0,
              "rejected_count": 0, "error_count": 0, "cursor_start": "", "cursor_end": "p7"}],
        )  # fmt: skip
        self.assertEqual(self.provider.cursor, "p7")
        signal = self._signals().filtered(lambda s: s.external_id == "sig-0")
        self.assertRecordValues(
            signal,
            [{"signal_type": "application", "subject_ref": "SUBJ-1", "creditor": "Alfa-Bank", "amount": 250000.0}],
        )
        self.assertIn('"id": "sig-0"', signal.payload)

        # the next run resumes at the stored cursor: nothing new, nothing doubled
        server.signals.append(make_signal(7))
        run2 = self.provider._fetch_signals()
        self.assertEqual(server.requested_cursors()[3:], ["p7"])
        self.assertRecordValues(run2, [{"state": "done", "fetched_count": 1, "new_count": 1, "cursor_end": "p8"}])
        self.assertEqual(len(self._signals()), 8)

    def test_timeout_is_retried_without_loss_or_duplicate(self):
        server = self._serve([make_signal(i) for i in range(7)])
        server.add_fault("p3", "hang")
        run = self.provider._fetch_signals()
        self.assertEqual(server.requested_cursors(), ["", "p3", "p3", "p6"])
        self.assertRecordValues(run, [{"state": "done", "new_count": 7, "error_count": 1, "duplicate_count": 0}])
        self.assertEqual(len(self._signals()), 7)

    @mute_logger(PROVIDER_LOGGER)
    def test_server_error_retried_then_logged_and_resumed(self):
        server = self._serve([make_signal(i) for i in range(7)])
        # one 500 is absorbed by a retry
        server.add_fault("", "500")
        # then page 2 keeps failing: 1 try + 2 retries
        server.add_fault("p3", "500", "500", "500")
        run = self.provider._fetch_signals()
        self.assertEqual(server.requested_cursors(), ["", "", "p3", "p3", "p3"])
        self.assertEqual(run.state, "failed")
        self.assertIn("HTTP 500", run.message)
        self.assertEqual(run.error_count, 4)
        self.assertEqual(run.new_count, 3)
        self.assertEqual(self.provider.cursor, "p3", "the cursor stays on the page that failed")

        # the bureau recovers: the next run starts at the failed page and completes
        run2 = self.provider._fetch_signals()
        self.assertEqual(server.requested_cursors()[5:], ["p3", "p6"])
        self.assertRecordValues(run2, [{"state": "done", "new_count": 4, "duplicate_count": 0}])
        self.assertEqual(len(self._signals()), 7)

    def test_back_off_doubles_between_retries(self):
        server = self._serve([make_signal(1)])
        server.add_fault("", "500", "500")
        self.provider.retry_backoff = 0.1
        started = time.monotonic()
        run = self.provider._fetch_signals()
        elapsed = time.monotonic() - started
        self.assertEqual(run.state, "done")
        self.assertEqual(run.error_count, 2)
        self.assertGreaterEqual(elapsed, 0.3, "waits 0.1 s then 0.2 s")
        self.assertEqual(server.requested_cursors(), ["", "", ""])

    @mute_logger(PROVIDER_LOGGER)
    def test_malformed_page_fails_the_run_without_moving_the_cursor(self):
        server = self._serve([make_signal(i) for i in range(4)])
        server.add_fault("p3", "bad_json")
        run = self.provider._fetch_signals()
        self.assertEqual(run.state, "failed")
        self.assertIn("not valid JSON", run.message)
        self.assertEqual(self.provider.cursor, "p3")
        self.assertEqual(len(self._signals()), 3)

    def test_bad_items_rejected_with_reason_while_the_rest_lands(self):
        signals = [
            make_signal(1),
            make_signal(2, signal_type="lottery_win"),
            "just a string",
            {"type": "application", "subject": "SUBJ-1", "date": "2025-03-10"},
            make_signal(3, date="10/03/2025"),
            make_signal(4, amount=-5),
            make_signal(5, subject=""),
            make_signal(6, amount="12 000"),
            make_signal(7, signal_type="overdue"),
        ]
        self._serve(signals)
        self.provider.page_size = 20
        run = self.provider._fetch_signals()
        self.assertEqual(sorted(self._signals().mapped("external_id")), ["sig-1", "sig-7"])
        self.assertRecordValues(run, [{"state": "done", "fetched_count": 9, "new_count": 2, "rejected_count": 7}])
        reasons = {(r.external_id or "") + ": " + r.reason for r in run.rejection_ids}
        self.assertEqual(
            reasons,
            {
                "sig-2: unknown signal type 'lottery_win'",
                ": not a JSON object",
                ": no signal id",
                "sig-3: invalid date '10/03/2025'",
                "sig-4: invalid amount -5",
                "sig-5: no subject",
                "sig-6: invalid amount '12 000'",
            },
        )
        self.assertIn("lottery_win", run.rejection_ids.filtered(lambda r: r.external_id == "sig-2").raw)

    def test_duplicate_delivery_gives_one_signal(self):
        # the bureau re-sends sig-1 in the same page and in a later page
        self._serve([make_signal(1), make_signal(1), make_signal(2), make_signal(1)])
        run = self.provider._fetch_signals()
        self.assertEqual(sorted(self._signals().mapped("external_id")), ["sig-1", "sig-2"])
        self.assertRecordValues(run, [{"new_count": 2, "duplicate_count": 2, "fetched_count": 4}])

    @mute_logger(PROVIDER_LOGGER)
    def test_client_error_is_not_retried(self):
        server = self._serve([make_signal(1)])
        server.add_fault("", "404")
        run = self.provider._fetch_signals()
        self.assertEqual(run.state, "failed")
        self.assertIn("HTTP 404", run.message)
        self.assertEqual(len(server.requests), 1, "a 4xx is permanent: no retry")
        self.assertFalse(self._signals())
