"""Crash/resume and concurrent workers, on real committed transactions.

These tests need what a TransactionCase cannot give: commits and several
connections. They run the cron code path (commit per chunk) on cursors of
their own and delete what they committed at the end.
"""

import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .bureau_server import BureauServer
from .common import make_signal

PROVIDER_LOGGER = "odoo.addons.broker_monitoring.models.broker_monitoring_provider"


@tagged("post_install", "-at_install")
class TestRealTransactions(TransactionCase):
    def setUp(self):
        super().setUp()
        self.server = BureauServer([make_signal(i, subject=f"NOBODY-{i}") for i in range(10)])
        self.enterContext(self.server)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            params = env["ir.config_parameter"]
            self.allowed_hosts = params.get_param("broker_monitoring.allowed_hosts")
            params.set_param("broker_monitoring.allowed_hosts", "127.0.0.1")
            self.provider_id = (
                env["broker.monitoring.provider"]
                .create({"name": "Committed bureau", "url": self.server.url, "page_size": 3, "timeout": 2.0,
                         "max_retries": 0, "retry_backoff": 0.0})
                .id
            )  # fmt: skip
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM broker_monitoring_signal WHERE provider_id = %s", (self.provider_id,))
            cr.execute("DELETE FROM broker_monitoring_run WHERE provider_id = %s", (self.provider_id,))
            cr.execute("DELETE FROM broker_monitoring_provider WHERE id = %s", (self.provider_id,))
            api.Environment(cr, SUPERUSER_ID, {})["ir.config_parameter"].set_param(
                "broker_monitoring.allowed_hosts", self.allowed_hosts
            )

    def _state(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT external_id FROM broker_monitoring_signal WHERE provider_id = %s", (self.provider_id,))
            external_ids = [row[0] for row in cr.fetchall()]
            cr.execute("SELECT cursor FROM broker_monitoring_provider WHERE id = %s", (self.provider_id,))
            cursor = cr.fetchone()[0]
            cr.execute(
                "SELECT state, new_count FROM broker_monitoring_run WHERE provider_id = %s ORDER BY id",
                (self.provider_id,),
            )
            return external_ids, cursor, cr.fetchall()

    def _fetch_in_own_transaction(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["broker.monitoring.provider"].browse(self.provider_id)._fetch_signals(commit=True).ids

    def test_crash_after_chunk_then_rerun_finishes_without_duplicates(self):
        """The worker's database connection dies while it fetches page 3: chunks 1-2 stay committed."""
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute("SELECT pg_backend_pid()")
        worker_pid = cr.fetchone()[0]

        def kill_worker(cursor):
            if cursor == "p6":
                with self.registry.cursor() as killer:
                    killer.execute("SELECT pg_terminate_backend(%s)", (worker_pid,))

        self.server.on_request = kill_worker
        env = api.Environment(cr, SUPERUSER_ID, {})
        with mute_logger("odoo.sql_db"), self.assertRaises(Exception):  # noqa: B017 - any DB error is the crash
            env["broker.monitoring.provider"].browse(self.provider_id)._fetch_signals(commit=True)

        external_ids, cursor, runs = self._state()
        self.assertEqual(sorted(external_ids), sorted(f"sig-{i}" for i in range(6)))
        self.assertEqual(cursor, "p6", "the cursor of the last committed chunk")
        self.assertEqual(runs, [("running", 6)])

        self.server.on_request = None
        self._fetch_in_own_transaction()
        external_ids, cursor, runs = self._state()
        self.assertEqual(sorted(external_ids), sorted(f"sig-{i}" for i in range(10)))
        self.assertEqual(len(external_ids), len(set(external_ids)))
        self.assertEqual(cursor, "p10")
        self.assertEqual(runs, [("interrupted", 6), ("done", 4)])
        self.assertEqual(self.server.requested_cursors(), ["", "p3", "p6", "p6", "p9"])

    def test_two_workers_at_once_process_each_signal_once(self):
        """Worker A holds the provider while worker B tries: B skips, every signal lands once."""
        first_request = threading.Event()
        let_go = threading.Event()

        def hold_first_page(cursor):
            if not first_request.is_set():
                first_request.set()
                let_go.wait(10)

        self.server.on_request = hold_first_page
        results, envs = {}, {}
        for name in ("a", "b"):
            # environments are built here: the main thread holds the registry lock during tests
            cr = self.registry.cursor()
            self.addCleanup(cr.close)
            envs[name] = api.Environment(cr, SUPERUSER_ID, {})

        def worker(name):
            provider = envs[name]["broker.monitoring.provider"].browse(self.provider_id)
            results[name] = provider._fetch_signals(commit=True).ids
            envs[name].cr.commit()  # pylint: disable=invalid-commit

        thread_a = threading.Thread(target=worker, args=("a",))
        thread_a.start()
        self.assertTrue(first_request.wait(10), "worker A reached the bureau")
        thread_b = threading.Thread(target=worker, args=("b",))
        thread_b.start()
        thread_b.join(10)
        self.assertFalse(thread_b.is_alive())
        let_go.set()
        thread_a.join(20)
        self.assertFalse(thread_a.is_alive())

        self.assertEqual(results["b"], [], "worker B found the provider busy and made no run")
        self.assertEqual(len(results["a"]), 1)
        external_ids, cursor, runs = self._state()
        self.assertEqual(sorted(external_ids), sorted(f"sig-{i}" for i in range(10)))
        self.assertEqual(runs, [("done", 10)])
        self.assertEqual(cursor, "p10")

        # a second round after A finished: nothing new, nothing doubled
        self.server.on_request = None
        self._fetch_in_own_transaction()
        external_ids, _cursor, runs = self._state()
        self.assertEqual(len(external_ids), 10)
        self.assertEqual(runs[-1], ("done", 0))

    def test_concurrent_insert_of_the_same_signal_is_a_duplicate(self):
        """Even without the provider lock, the unique key turns a racing insert into a duplicate."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["broker.monitoring.provider"].browse(self.provider_id)
            run = env["broker.monitoring.run"].create({"provider_id": provider.id})
            counts = env["broker.monitoring.signal"]._ingest(provider, run, [make_signal(1), make_signal(2)])
            self.assertEqual(counts["new_count"], 2)
            cr.commit()  # pylint: disable=invalid-commit
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["broker.monitoring.provider"].browse(self.provider_id)
            run = env["broker.monitoring.run"].create({"provider_id": provider.id})
            Signal = env["broker.monitoring.signal"]
            vals = [dict(Signal._parse_item(make_signal(i))[0], provider_id=provider.id, run_id=run.id) for i in (2, 3)]
            Signal._plan_routing(vals)
            inserted = Signal._insert_rows(vals)
            self.assertEqual(inserted.mapped("external_id"), ["sig-3"])
