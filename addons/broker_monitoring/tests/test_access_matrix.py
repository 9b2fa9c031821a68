"""Access matrix of broker_monitoring: every role against every model and sensitive field, through
the ORM as the user and through the routes the web client uses (JSON-RPC, /web/export/csv,
/web/content).

Internal users are created the way an administrator creates them (Settings → Users, the default
user template, then the Credit Broker role); portal users through Odoo's portal wizard.
"""

import base64
import json

from odoo import Command, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.broker_crm.tests.common import new_broker_user, new_portal_partner_user

from .common import ALLOWED_HOSTS_PARAM, make_signal

INN = "770712345633"
API_KEY = "matrix-secret-key"
FILE_LINE = b'{"id": "file-1", "type": "application", "subject": "500110000046", "date": "2025-03-10"}\n'
INTERNAL = ("agent", "agent2", "leader", "manager", "accountant", "admin")
ROLES = (*INTERNAL, "portal", "portal2", "public")
# who works the agent's client (the agent, the leader of the deal's team) and the managers
WORKERS = {"agent", "leader", "manager", "admin"}
MANAGERS = {"manager", "admin"}
AGENTS = {"agent", "agent2", "leader", "manager", "admin"}

# (model, operation) -> roles allowed, on the records of a deal owned by "agent" in the team led by "leader".
EXPECTED = {
    ("broker.monitoring.subscription", "read"): WORKERS,
    ("broker.monitoring.subscription", "write"): WORKERS,
    ("broker.monitoring.subscription", "create"): AGENTS,
    ("broker.monitoring.subscription", "unlink"): set(),
    ("broker.monitoring.subscription", "export"): MANAGERS,
    ("broker.monitoring.signal", "read"): WORKERS,
    ("broker.monitoring.signal", "write"): WORKERS,
    ("broker.monitoring.signal", "create"): set(),
    ("broker.monitoring.signal", "unlink"): set(),
    ("broker.monitoring.signal", "export"): MANAGERS,
    ("broker.monitoring.provider", "read"): AGENTS,
    ("broker.monitoring.provider", "write"): MANAGERS,
    ("broker.monitoring.provider", "create"): MANAGERS,
    ("broker.monitoring.provider", "unlink"): {"admin"},
    ("broker.monitoring.provider", "export"): MANAGERS,
    ("broker.monitoring.rule", "read"): AGENTS,
    ("broker.monitoring.rule", "write"): MANAGERS,
    ("broker.monitoring.rule", "create"): MANAGERS,
    ("broker.monitoring.rule", "unlink"): {"admin"},
    ("broker.monitoring.rule", "export"): MANAGERS,
    ("broker.monitoring.run", "read"): MANAGERS,
    ("broker.monitoring.run", "write"): set(),
    ("broker.monitoring.run", "create"): set(),
    ("broker.monitoring.run", "unlink"): set(),
    ("broker.monitoring.run", "export"): MANAGERS,
    ("broker.monitoring.rejection", "read"): MANAGERS,
    ("broker.monitoring.rejection", "write"): set(),
    ("broker.monitoring.rejection", "create"): set(),
    ("broker.monitoring.rejection", "unlink"): set(),
    ("broker.monitoring.rejection", "export"): MANAGERS,
    ("broker.monitoring.funnel.report", "read"): WORKERS,
    ("broker.monitoring.funnel.report", "write"): set(),
    ("broker.monitoring.funnel.report", "create"): set(),
    ("broker.monitoring.funnel.report", "unlink"): set(),
    ("broker.monitoring.funnel.report", "export"): MANAGERS,
    ("broker.monitoring.subscribe.wizard", "create"): AGENTS,
    ("broker.monitoring.import.wizard", "create"): MANAGERS,
}
# (model, field) -> roles that read it on the records above
SENSITIVE = {
    ("broker.monitoring.provider", "api_key"): {"admin"},
    ("broker.monitoring.provider", "api_login"): {"admin"},
    ("broker.monitoring.provider", "url"): {"admin"},
    ("broker.monitoring.provider", "connector_type"): {"admin"},
    ("broker.monitoring.provider", "import_file"): {"admin"},
    ("broker.monitoring.signal", "payload"): MANAGERS,
    ("broker.monitoring.signal", "subject_ref"): MANAGERS,
    ("broker.monitoring.subscription", "inn"): WORKERS,
    ("broker.monitoring.subscription", "subject_ref"): WORKERS,
    ("broker.monitoring.rejection", "raw"): MANAGERS,
}


class _Done(Exception):
    """Raised inside the savepoint to roll back an operation that went through."""


@tagged("post_install", "-at_install")
class TestMonitoringAccessMatrix(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["ir.config_parameter"].set_param(ALLOWED_HOSTS_PARAM, "127.0.0.1")
        broker_role = {"agent2": "agent", "leader": "agent", "admin": "manager"}
        cls.users = {
            role: new_broker_user(env, f"mxm_{role}", broker_role.get(role, role), password=f"mxm_{role}_pw1")
            for role in INTERNAL
        }
        cls.users["admin"].groups_id = [Command.link(env.ref("base.group_system").id)]
        team = env.ref("broker_crm.crm_team_broker")
        team.user_id = cls.users["leader"]
        referral_a, referral_b = env["res.partner"].create(
            [{"name": f"Matrix Referral {x}", "is_company": True, "is_broker_partner": True} for x in "AB"]
        )
        cls.users["portal"] = new_portal_partner_user(env, "mxm_portal", referral_a)
        cls.users["portal2"] = new_portal_partner_user(env, "mxm_portal2", referral_b)
        for role in ("portal", "portal2"):
            cls.users[role].password = f"mxm_{role}_pw1"
        cls.users["public"] = env.ref("base.public_user")

        client = env["res.partner"].create({"name": "Matrix Client"})
        cls.other_client = env["res.partner"].create({"name": "Matrix Other Client"})
        deal = env["crm.lead"].create(
            {"name": "Matrix deal", "type": "opportunity", "team_id": team.id, "partner_id": client.id,
             "user_id": cls.users["agent"].id, "referral_partner_id": referral_a.id}
        )  # fmt: skip
        env["broker.consent"].create(
            [{"partner_id": partner.id, "kind": "credit_history", "method": "sms",
              "purpose": "Credit history request and bureau monitoring"} for partner in client | cls.other_client]
        )  # fmt: skip
        subscription = env["broker.monitoring.subscription"].create(
            {"partner_id": client.id, "lead_id": deal.id, "user_id": cls.users["agent"].id, "reason": "existing",
             "inn": INN}
        )  # fmt: skip
        provider = env["broker.monitoring.provider"].create(
            {"name": "Matrix bureau", "url": "http://127.0.0.1:9/signals", "api_login": "matrix", "api_key": API_KEY}
        )
        cls.file_provider = env["broker.monitoring.provider"].create(
            {"name": "Matrix file", "connector_type": "jsonl", "import_file": base64.b64encode(FILE_LINE),
             "import_filename": "signals.jsonl"}
        )  # fmt: skip
        run = env["broker.monitoring.run"].create({"provider_id": provider.id})
        env["broker.monitoring.signal"]._ingest(
            provider, run, [make_signal(1, subject=INN), {"id": "bad", "type": "lottery", "subject": INN}]
        )
        signal = env["broker.monitoring.signal"].search([("provider_id", "=", provider.id)])
        # every (type, reason) pair has its rule: one is freed for the rule created in the matrix
        spare = env["broker.monitoring.rule"].search([], order="id desc", limit=1)
        free_rule = {"signal_type": spare.signal_type, "reason": spare.reason, "action": "activity"}
        spare.unlink()
        rule = env["broker.monitoring.rule"].search([], limit=1)
        cls.records = {
            "broker.monitoring.subscription": subscription,
            "broker.monitoring.signal": signal,
            "broker.monitoring.provider": provider,
            "broker.monitoring.rule": rule,
            "broker.monitoring.run": run,
            "broker.monitoring.rejection": run.rejection_ids,
            "broker.monitoring.funnel.report": env["broker.monitoring.funnel.report"].browse(signal.id),
            "broker.monitoring.subscribe.wizard": env["broker.monitoring.subscribe.wizard"],
            "broker.monitoring.import.wizard": env["broker.monitoring.import.wizard"],
        }
        cls.write_vals = {
            "broker.monitoring.subscription": {"applied_creditors": "Sberbank"},
            "broker.monitoring.signal": {"contacted": True},
            "broker.monitoring.provider": {"page_size": 42},
            "broker.monitoring.rule": {"deadline_days": 3},
            "broker.monitoring.run": {"message": "forged"},
            "broker.monitoring.rejection": {"reason": "forged"},
            "broker.monitoring.funnel.report": {"signal_count": 7},
        }
        cls.create_vals = {
            "broker.monitoring.subscription": {"partner_id": cls.other_client.id, "reason": "win_back",
                                               "inn": "500110000046"},
            "broker.monitoring.signal": {"provider_id": provider.id, "external_id": "forged",
                                         "signal_type": "application", "signal_date": "2025-03-01"},
            "broker.monitoring.provider": {"name": "New bureau"},
            "broker.monitoring.rule": free_rule,
            "broker.monitoring.run": {"provider_id": provider.id},
            "broker.monitoring.rejection": {"run_id": run.id, "reason": "forged"},
            "broker.monitoring.funnel.report": {"signal_count": 1},
            "broker.monitoring.subscribe.wizard": {"reason": "win_back",
                                                   "partner_ids": [Command.set(cls.other_client.ids)]},
            "broker.monitoring.import.wizard": {"file": base64.b64encode(b"name;birth_date;inn\n"),
                                                "reason": "win_back"},
        }  # fmt: skip
        # a provider with signals cannot be deleted whoever asks: deletion rights are tried on the file one
        cls.unlink_records = {"broker.monitoring.provider": cls.file_provider}
        cls.field_records = {("broker.monitoring.provider", "import_file"): cls.file_provider}

    # ------------------------------------------------------------------ ORM as the user
    def _allowed(self, role, model, operation):
        """Whether the operation goes through; whatever it did is rolled back."""
        records = self.unlink_records if operation == "unlink" else self.records
        record = records.get(model, self.records[model]).with_user(self.users[role])
        try:
            with mute_logger("odoo.models", "odoo.addons.base.models.ir_rule"), self.env.cr.savepoint():
                if operation == "read":
                    record.read(["display_name"])
                elif operation == "write":
                    record.write(self.write_vals[model])
                elif operation == "unlink":
                    record.unlink()
                elif operation == "create":
                    record.create(self.create_vals[model])
                elif operation == "export":
                    record.export_data(["display_name"])
                record.env.flush_all()
                raise _Done()
        except _Done:
            return True
        except (AccessError, UserError):
            return False
        finally:
            self.env.invalidate_all()

    def test_orm_matrix(self):
        for (model, operation), allowed in EXPECTED.items():
            for role in ROLES:
                with self.subTest(model=model, operation=operation, role=role):
                    self.assertEqual(self._allowed(role, model, operation), role in allowed)

    def test_sensitive_fields_orm(self):
        for (model, fname), readers in SENSITIVE.items():
            for role in ROLES:
                with self.subTest(model=model, field=fname, role=role):
                    record = self._field_record(model, fname).with_user(self.users[role])
                    try:
                        value = record.read([fname])[0][fname]
                    except AccessError:
                        value = None
                    self.assertEqual(bool(value), role in readers)

    def _field_record(self, model, fname):
        return self.field_records.get((model, fname), self.records[model])

    # ------------------------------------------------------------------ the web client's routes
    def _login(self, role):
        if role == "public":
            self.authenticate(None, None)
        else:
            self.authenticate(self.users[role].login, f"mxm_{role}_pw1")

    def _rpc(self, model, method, args, kwargs=None):
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                             "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        self.assertEqual(response.status_code, 200)
        return response.json()

    def _export_csv(self, model, ids, fields):
        data = {"model": model, "fields": [{"name": f, "label": f} for f in fields], "ids": ids, "domain": [],
                "import_compat": False}  # fmt: skip
        return self.url_open(
            "/web/export/csv",
            data={"data": json.dumps(data), "csrf_token": http.Request.csrf_token(self)},
            allow_redirects=False,
        )

    @mute_logger("odoo.http", "odoo.addons.web.controllers.export", "odoo.addons.base.models.ir_rule", "odoo.models")
    def test_json_rpc_export_content(self):
        signal = self.records["broker.monitoring.signal"]
        subscription = self.records["broker.monitoring.subscription"]
        content_url = f"/web/content/broker.monitoring.provider/{self.file_provider.id}/import_file"
        for role in ROLES:
            self._login(role)
            for (model, operation), allowed in EXPECTED.items():
                if operation != "read":
                    continue
                with self.subTest(route="search_read", model=model, role=role):
                    result = self._rpc(model, "search_read", [[("id", "=", self.records[model].id)], ["display_name"]])
                    self.assertEqual("error" not in result and bool(result["result"]), role in allowed)
            for (model, fname), readers in SENSITIVE.items():
                with self.subTest(route="read", model=model, field=fname, role=role):
                    result = self._rpc(model, "read", [self._field_record(model, fname).ids, [fname]])
                    readable = "error" not in result and bool(result["result"][0][fname])
                    self.assertEqual(readable, role in readers)
                    if role not in readers:
                        self.assertNotIn(API_KEY, json.dumps(result))
                        self.assertNotIn(INN, json.dumps(result))
            with self.subTest(route="write url", role=role):
                result = self._rpc(
                    "broker.monitoring.provider",
                    "write",
                    [self.records["broker.monitoring.provider"].ids, {"url": "http://127.0.0.1:1/x"}],
                )
                self.assertEqual("error" not in result, role == "admin")  # fmt: skip

            with self.subTest(route="export signal", role=role):
                response = self._export_csv(signal._name, signal.ids, ["display_name", "payload", "subject_ref"])
                if role in MANAGERS:
                    self.assertEqual(response.status_code, 200)
                    self.assertIn(INN, response.text)
                else:
                    self.assertNotEqual(response.status_code, 200)
                    self.assertNotIn(INN, response.text)
            with self.subTest(route="export subscription", role=role):
                response = self._export_csv(subscription._name, subscription.ids, ["partner_id", "inn"])
                self.assertEqual(response.status_code == 200 and INN in response.text, role in MANAGERS)
            with self.subTest(route="export provider", role=role):
                provider = self.records["broker.monitoring.provider"]
                response = self._export_csv(provider._name, provider.ids, ["name", "api_key", "url"])
                self.assertNotIn(API_KEY, response.text if role != "admin" else "")
                self.assertEqual(response.status_code == 200, role == "admin")
            with self.subTest(route="content", role=role):
                response = self.url_open(content_url)
                if role == "admin":
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(response.content, FILE_LINE)
                else:
                    self.assertIn(response.status_code, (403, 404))
                    self.assertNotIn(b"file-1", response.content)
