"""Who may see the bureau's data, where the credentials may go, who may watch whose client."""

import base64

from psycopg2.errors import UniqueViolation

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .bureau_server import BureauServer
from .common import ALLOWED_HOSTS_PARAM, PASSWORD, BrokerMonitoringCommon, BrokerMonitoringSetup, make_signal

PROVIDER_LOGGER = "odoo.addons.broker_monitoring.models.broker_monitoring_provider"
INN = "770712345633"


@tagged("post_install", "-at_install")
class TestBureauEndpoint(BrokerMonitoringCommon):
    """The credentials go to an allowed bureau host only, set by a system administrator."""

    def test_managers_cannot_change_where_the_credentials_go(self):
        provider = self.provider.with_user(self.user_manager)
        Provider = self.env["broker.monitoring.provider"].with_user(self.user_manager)
        for vals in ({"url": "http://127.0.0.1:8069/xmlrpc/2/common"}, {"connector_type": "jsonl"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError), self.env.cr.savepoint():
                provider.write(vals)
        for vals in (
            {"url": "http://127.0.0.1:8069/"},
            {"connector_type": "jsonl"},
            {"import_file": base64.b64encode(b'{"id": "forged"}')},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError), self.env.cr.savepoint():
                Provider.create(dict(vals, name="Rogue bureau"))
        self.assertEqual(self.provider.url, "http://127.0.0.1:9/unused")
        self.assertFalse(Provider.search([("name", "=", "Rogue bureau")]))
        self.assertFalse({"url", "connector_type", "import_file", "api_key"} & set(Provider.fields_get()))
        # what managers do keep: a new bureau entry (connected by an administrator) and the fetch settings
        new = Provider.create({"name": "New bureau"})
        new.write({"page_size": 50, "timeout": 5.0})
        provider.action_reset_cursor()

    def test_only_allowed_hosts_are_saved(self):
        provider = self.provider.with_user(self.user_admin)
        refused = [
            "http://localhost:9/signals",
            "http://10.0.0.5/api",
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1@evil.example/",
            "http://evil.example\\@127.0.0.1/",
            "http://127.0.0.1:99999/",
            "ftp://127.0.0.1/signals",
            "file:///etc/passwd",
            "127.0.0.1/signals",
        ]
        for url in refused:
            with self.subTest(url=url), self.assertRaises(ValidationError), self.env.cr.savepoint():
                provider.write({"url": url})
        self.assertEqual(self.provider.url, "http://127.0.0.1:9/unused")
        provider.write({"url": "http://127.0.0.1:8000/signals"})
        # the allow-list names hosts, '*.' also admits their subdomains; local addresses only when listed
        self.env["ir.config_parameter"].set_param(ALLOWED_HOSTS_PARAM, "api.bureau.example, *.nbki.example")
        provider.write({"url": "https://api.bureau.example/v1/signals"})
        provider.write({"url": "https://signals.nbki.example/v2"})
        for url in ("https://nbki.example.evil.example/", "https://bureau.example/", "http://127.0.0.1:8000/"):
            with self.subTest(url=url), self.assertRaises(ValidationError), self.env.cr.savepoint():
                provider.write({"url": url})
        # a wildcard names host names, never IP ranges; an IPv6 address is the same however it is written
        self.env["ir.config_parameter"].set_param(ALLOWED_HOSTS_PARAM, "*.0.0.1, ::1")
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            provider.write({"url": "http://10.0.0.1/signals"})
        provider.write({"url": "http://[0:0::1]:8000/signals"})
        self.env["ir.config_parameter"].set_param(ALLOWED_HOSTS_PARAM, False)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.env["broker.monitoring.provider"].with_user(self.user_admin).create(
                {"name": "Nothing allowed", "url": "https://api.bureau.example/v1/signals"}
            )

    @mute_logger(PROVIDER_LOGGER)
    def test_fetch_checks_the_host_again(self):
        server = self.enterContext(BureauServer([make_signal(1)]))
        self.provider.write({"url": server.url, "api_key": "secret-token"})
        # the administrator narrows the allow-list after the URL was saved
        self.env["ir.config_parameter"].set_param(ALLOWED_HOSTS_PARAM, "api.bureau.example")
        run = self.provider._fetch_signals()
        self.assertEqual(run.state, "failed")
        self.assertIn("not in the allowed bureau hosts", run.message)
        self.assertEqual(server.requests, [], "nothing was sent to the host")

    @mute_logger(PROVIDER_LOGGER)
    def test_redirects_are_not_followed(self):
        elsewhere = self.enterContext(BureauServer([make_signal(1)]))
        bureau = self.enterContext(BureauServer([make_signal(2)]))
        bureau.redirect_to = elsewhere.url
        self.provider.write({"url": bureau.url, "api_key": "secret-token"})
        run = self.provider._fetch_signals()
        self.assertEqual(run.state, "failed")
        self.assertIn("HTTP 302", run.message)
        self.assertEqual(len(bureau.requests), 1, "a redirect is permanent: no retry")
        self.assertEqual(bureau.requests[0][1].get("Authorization"), "Bearer secret-token")
        self.assertEqual(elsewhere.requests, [], "the other port got no request, so no credentials")
        self.assertFalse(self._signals())


@tagged("post_install", "-at_install")
class TestSubscriptionOwnership(BrokerMonitoringCommon):
    """One running subscription per person; a deal is watched only by who may change it."""

    freeze_time = "2025-03-15"

    def _subscription_as(self, user, **vals):
        partner = self.env["res.partner"].browse(vals.get("partner_id", self.client.id))
        if not partner._broker_consent_valid("credit_history"):
            self._consent(partner, "2025-03-15")
        return (
            self.env["broker.monitoring.subscription"]
            .with_user(user)
            .create(dict({"partner_id": self.client.id, "reason": "contract_control"}, **vals))
        )

    def test_second_agent_cannot_take_over_a_watched_inn(self):
        lead = self._lead(user=self.user_agent, step="contract")
        mine = self._subscription_as(self.user_agent, lead_id=lead.id, inn=INN)
        other_client = self.env["res.partner"].create({"name": "Somebody of Boris"})
        Subscription = self.env["broker.monitoring.subscription"]
        count = Subscription.search_count([])
        for inn in (INN, "7707 1234 5633"):
            with self.subTest(inn=inn), self.assertRaises(ValidationError), self.env.cr.savepoint():
                self._subscription_as(self.user_agent2, partner_id=other_client.id, inn=inn)
        # nor by changing the INN of a subscription of their own
        theirs = self._subscription_as(self.user_agent2, partner_id=other_client.id, inn="773610000064")
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            theirs.write({"inn": INN})
        self.assertEqual(Subscription.search_count([]), count + 1)
        # the client's signals keep going to the agent who watches them
        self._ingest([make_signal(1, subject=INN)])
        self.assertRecordValues(
            self._signals(), [{"subscription_id": mine.id, "lead_id": lead.id, "user_id": self.user_agent.id}]
        )
        # a stopped subscription frees the person
        mine.action_cancel()
        theirs.write({"inn": INN})
        self.assertEqual(theirs.subject_ref, INN)

    def test_the_database_admits_one_running_subscription_per_subject(self):
        self._subscribe(subject=INN)
        self._subscribe(subject=INN, state="cancelled")
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.env.cr.savepoint():
            self.env.cr.execute(
                """INSERT INTO broker_monitoring_subscription
                          (partner_id, reason, source, date_start, state, active, subject_ref)
                   VALUES (%s, 'win_back', 'manual', '2025-03-01', 'active', TRUE, %s)""",
                (self.client.id, INN),
            )

    def test_agent_cannot_watch_a_foreign_deal(self):
        foreign = self._lead(user=self.user_agent2, name="Deal of Boris", step="contract")
        Subscription = self.env["broker.monitoring.subscription"]
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self._subscription_as(self.user_agent, lead_id=foreign.id)
        # nor by linking one of their own subscriptions: its stored owner would come from the foreign deal
        own = self._subscription_as(self.user_agent, inn=INN)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            own.write({"lead_id": foreign.id})
        self.assertRecordValues(own, [{"lead_id": False, "user_id": self.user_agent.id}])
        # nor in bulk
        wizard = (
            self.env["broker.monitoring.subscribe.wizard"]
            .with_user(self.user_agent)
            .create({"lead_ids": [Command.set(foreign.ids)], "reason": "preparing"})
        )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            wizard.action_confirm()
        self.assertFalse(Subscription.search([("lead_id", "=", foreign.id)]))
        # the owner of the deal does it
        self._subscription_as(self.user_agent2, lead_id=foreign.id, partner_id=foreign.partner_id.id, inn=False)

    def test_opening_the_deal_of_a_signal_respects_the_deal_owner(self):
        lost = self._lead(user=self.user_agent2, name="Lost deal of Boris")
        lost.action_archive()
        # a mass-base subscription of Anna points at Boris's lost deal: its signals wait in Anna's inbox
        self._subscribe(subject=INN, lead_id=lost.id, user_id=self.user_agent.id, source="import")
        self._subscribe(subject="4610123456", partner_id=self.env["res.partner"].create({"name": "Olga"}).id,
                        user_id=self.user_agent.id, source="import")  # fmt: skip
        self._ingest([make_signal(1, subject=INN), make_signal(2, subject="4610123456")])
        signals = {s.subject_ref: s.with_user(self.user_agent) for s in self._signals()}
        # the deal's fields are already in the transaction's cache (the routing read them as the
        # system): the read rules alone would not stop the reopening
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            signals[INN].action_open_deal()
        self.assertFalse(lost.active, "Boris's deal stays archived")
        self.assertFalse(signals[INN].sudo().deal_reopened)
        # a signal of her own client without a deal opens a new deal of hers
        action = signals["4610123456"].action_open_deal()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertRecordValues(lead, [{"user_id": self.user_agent.id, "active": True}])


@tagged("post_install", "-at_install")
class TestBureauDataOverHttp(BrokerMonitoringSetup, HttpCase):
    """The bureau's file, raw records and subjects through the web client's own routes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.file_provider = cls.env["broker.monitoring.provider"].create(
            {
                "name": "Bureau file",
                "connector_type": "jsonl",
                "import_file": base64.b64encode(
                    b'{"id": "file-1", "type": "application", "subject": "770712345633"}\n'
                ),
                "import_filename": "signals.jsonl",
            }
        )
        lead = cls._lead(user=cls.user_agent, step="contract")
        cls._subscribe(subject=INN, lead_id=lead.id)
        run = cls.env["broker.monitoring.run"].create({"provider_id": cls.provider.id})
        cls.env["broker.monitoring.signal"]._ingest(cls.provider, run, [make_signal(1, subject=INN)])
        cls.signal = cls.env["broker.monitoring.signal"].search([("provider_id", "=", cls.provider.id)])

    def _call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _refused(self, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as catcher, mute_logger("odoo.http"):
            self._call(model, method, *args, **kwargs)
        self.assertIn("AccessError", str(catcher.exception))

    def test_only_system_administrators_download_the_bureau_file(self):
        url = f"/web/content/broker.monitoring.provider/{self.file_provider.id}/import_file"
        # no attachment holds the file: Odoo would serve it by its id to whoever reads the provider
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", "broker.monitoring.provider"), ("res_id", "=", self.file_provider.id),
                 ("res_field", "=", "import_file")]
            )
        )  # fmt: skip
        for user in (self.user_agent, self.user_manager):
            self.authenticate(user.login, PASSWORD)
            for path in (url, f"{url}?download=true", f"{url}/signals.jsonl"):
                with self.subTest(user=user.login, path=path), mute_logger("odoo.http"):
                    response = self.url_open(path)
                    self.assertIn(response.status_code, (403, 404))
                    self.assertNotIn(b"file-1", response.content)
            self._refused("broker.monitoring.provider", "read", self.file_provider.ids, ["import_file"])
        self.authenticate(self.user_admin.login, PASSWORD)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"file-1", response.content)

    def test_agents_get_no_raw_payload_nor_bureau_subject(self):
        self.authenticate(self.user_agent.login, PASSWORD)
        signal_id = self.signal.id
        rows = self._call("broker.monitoring.signal", "read", [signal_id], ["creditor", "partner_id"])
        self.assertEqual(rows[0]["creditor"], "Alfa-Bank", "the agent works the signal")
        for fname in ("payload", "subject_ref"):
            with self.subTest(field=fname):
                self._refused("broker.monitoring.signal", "read", [signal_id], [fname])
                self._refused("broker.monitoring.signal", "search", [(fname, "ilike", "7707")])
                self._refused("broker.monitoring.signal", "web_search_read", [], specification={fname: {}})
        everything = self._call("broker.monitoring.signal", "read", [signal_id])[0]
        self.assertFalse({"payload", "subject_ref"} & set(everything))
        self.assertNotIn(INN, str(everything))
        self.authenticate(self.user_manager.login, PASSWORD)
        row = self._call("broker.monitoring.signal", "read", [signal_id], ["payload", "subject_ref"])[0]
        self.assertEqual(row["subject_ref"], INN)
        self.assertIn('"id": "sig-1"', row["payload"])

    def test_managers_cannot_redirect_the_credentials_over_rpc(self):
        self.authenticate(self.user_manager.login, PASSWORD)
        provider_id = self.provider.id
        self._refused("broker.monitoring.provider", "write", [provider_id], {"url": "http://127.0.0.1:8069/"})
        self._refused("broker.monitoring.provider", "write", [provider_id], {"connector_type": "jsonl"})
        self._refused("broker.monitoring.provider", "create", [{"name": "Rogue", "url": "http://127.0.0.1:1/"}])
        for fname in ("url", "api_key", "api_login", "connector_type"):
            self._refused("broker.monitoring.provider", "read", [provider_id], [fname])
        self.assertEqual(self.provider.url, "http://127.0.0.1:9/unused")
