import json
from datetime import timedelta
from urllib.parse import urlencode

from odoo import api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.broker_crm.tests.common import new_broker_user, new_portal_partner_user

PASSWORD = "Matrix-pass-2026"
ROLES = ("agent", "agent2", "leader", "manager", "accountant", "portal", "portal_other", "public")
EMPLOYEES = {"agent", "agent2", "leader", "manager", "accountant"}
# who works the deal of the agent: its owner, the team leader and the managers
DEAL = {"agent", "leader", "manager"}
MANAGER = {"manager"}
NOBODY = set()
# the errors by which Odoo refuses an operation (anything else is a bug of the test or of the code)
REFUSALS = ("odoo.exceptions.AccessError", "odoo.exceptions.UserError", "odoo.http.SessionExpiredException")


class Rollback(Exception):
    """Undoes an operation that was allowed, so that every cell of the matrix starts from the same data."""


@tagged("post_install", "-at_install")
class TestAccessMatrix(HttpCase):
    """Every role against every model and sensitive field of the service addon, through the ORM as the
    user, JSON-RPC (/web/dataset/call_kw) and the CSV export. The users are created as an administrator
    creates them (the default user template, then the broker role)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.users = {
            "agent": new_broker_user(env, "matrix_agent", "agent", password=PASSWORD),
            "agent2": new_broker_user(env, "matrix_agent2", "agent", password=PASSWORD),
            "leader": new_broker_user(env, "matrix_leader", "agent", password=PASSWORD),
            "manager": new_broker_user(env, "matrix_manager", "manager", password=PASSWORD),
            "accountant": new_broker_user(env, "matrix_accountant", "accountant", password=PASSWORD),
        }
        cls.team = env.ref("broker_crm.crm_team_broker")
        cls.team.user_id = cls.users["leader"]
        Partner = env["res.partner"]
        cls.referral = Partner.create({"name": "Referral One", "is_company": True, "is_broker_partner": True})
        cls.referral_other = Partner.create({"name": "Referral Two", "is_company": True, "is_broker_partner": True})
        cls.users["portal"] = new_portal_partner_user(env, "matrix_portal", cls.referral)
        cls.users["portal_other"] = new_portal_partner_user(env, "matrix_portal_other", cls.referral_other)
        for role in ("portal", "portal_other"):
            cls.users[role].password = PASSWORD
        cls.users["public"] = env.ref("base.public_user")

        cls.client = Partner.create({"name": "Client Matrix", "broker_personal_notes": "Calls after noon only"})
        cls.lead = env["crm.lead"].create(
            {
                "name": "Matrix deal",
                "type": "opportunity",
                "team_id": cls.team.id,
                "user_id": cls.users["agent"].id,
                "partner_id": cls.client.id,
                "referral_partner_id": cls.referral.id,
                "source_id": env.ref("broker_service.utm_source_avito").id,
                "request_date": "2026-11-17 10:00:00",
                "first_response_date": "2026-11-17 10:04:00",
            }
        )
        as_agent = env(user=cls.users["agent"])
        cls.consultation = as_agent["broker.consultation"].create(
            {"lead_id": cls.lead.id, "summary": "Mortgage options", "outcome": "Sends documents"}
        )
        cls.voice = as_agent["broker.client.voice"].create(
            {"lead_id": cls.lead.id, "kind": "complaint", "text": "Slow answer"}
        )
        start = fields.Datetime.now().replace(microsecond=0) + timedelta(days=7)
        cls.event = as_agent["calendar.event"].create(
            {
                "name": "Matrix meeting",
                "start": start,
                "stop": start + timedelta(hours=1),
                "opportunity_id": cls.lead.id,
                "user_id": cls.users["agent"].id,
                "broker_next_action": "Brings the income statement",
                # the referral partner's portal user attends: it reads the meeting, not its working notes
                "partner_ids": [(6, 0, (cls.users["agent"].partner_id | cls.users["portal"].partner_id).ids)],
            }
        )
        cls.confirmation = cls.event.broker_confirmation_activity_id
        cls.channel = env.ref("broker_service.broker_channel_avito")
        cls.step = env["broker.cadence.step"].search([], limit=1)
        env.flush_all()
        cls.report = env["broker.first.response.report"].search([])

    # ------------------------------------------------------------------ the operations
    def _operations(self):
        """(label, model, method, args maker, kwargs, roles allowed). Args are made per call, so that
        an operation that deletes gets a record of its own."""
        lead, consultation, voice, event = self.lead, self.consultation, self.voice, self.event
        env = self.env
        # the current one: moving the meeting (allowed through JSON-RPC) plans a new one
        confirmation = event.broker_confirmation_activity_id

        def fresh(model, vals):
            return lambda: [env[model].create(vals).ids]

        def fixed(*args):
            return lambda: list(args)

        def fresh_activity():
            activity = lead.activity_schedule("mail.mail_activity_data_todo", user_id=self.users["agent"].id)
            return [activity.ids]

        step_vals = {"activity_type_id": env.ref("mail.mail_activity_data_call").id, "day_offset": 9}
        channel_vals = {"name": "Forum", "source_id": env.ref("utm.utm_source_search_engine").id}
        consultation_vals = {"lead_id": lead.id, "summary": "More", "outcome": "Thinks"}
        voice_vals = {"lead_id": lead.id, "kind": "wish", "text": "Gold"}
        return [
            # configuration: every employee reads it, managers maintain it
            ("channel read", "broker.channel", "read", fixed(self.channel.ids, ["name", "user_id"]), EMPLOYEES),
            ("channel write", "broker.channel", "write", fixed(self.channel.ids, {"sequence": 3}), MANAGER),
            ("channel create", "broker.channel", "create", fixed(channel_vals), MANAGER),
            ("channel unlink", "broker.channel", "unlink", fresh("broker.channel", channel_vals), NOBODY),
            ("channel export", "broker.channel", "export_data", fixed(self.channel.ids, ["name"]), MANAGER),
            ("step read", "broker.cadence.step", "read", fixed(self.step.ids, ["summary"]), EMPLOYEES),
            ("step write", "broker.cadence.step", "write", fixed(self.step.ids, {"sequence": 3}), MANAGER),
            ("step create", "broker.cadence.step", "create", fixed(step_vals), MANAGER),
            ("step unlink", "broker.cadence.step", "unlink", fresh("broker.cadence.step", step_vals), MANAGER),
            ("step export", "broker.cadence.step", "export_data", fixed(self.step.ids, ["summary"]), MANAGER),
            # consultations and the voice of the client: those who work the deal; archived, never deleted
            ("consultation read", "broker.consultation", "read", fixed(consultation.ids, ["summary"]), DEAL),
            ("consultation search", "broker.consultation", "search_read",
             fixed([("id", "=", consultation.id)], ["summary", "partner_id"]), DEAL),
            ("consultation write", "broker.consultation", "write", fixed(consultation.ids, {"outcome": "Ok"}), DEAL),
            ("consultation task by hand", "broker.consultation", "write",
             fixed(consultation.ids, {"activity_id": confirmation.id}), NOBODY),
            ("consultation create", "broker.consultation", "create", fixed(consultation_vals), DEAL),
            ("consultation unlink", "broker.consultation", "unlink",
             lambda: [consultation.copy().ids], NOBODY),
            ("consultation export", "broker.consultation", "export_data",
             fixed(consultation.ids, ["summary", "partner_id/name"]), MANAGER),
            ("voice read", "broker.client.voice", "read", fixed(voice.ids, ["text", "partner_id"]), DEAL),
            ("voice write", "broker.client.voice", "write", fixed(voice.ids, {"state": "reported"}), DEAL),
            ("voice create", "broker.client.voice", "create", fixed(voice_vals), DEAL),
            ("voice unlink", "broker.client.voice", "unlink", lambda: [voice.copy().ids], NOBODY),
            ("voice export", "broker.client.voice", "export_data", fixed(voice.ids, ["text"]), MANAGER),
            # the first-response report: managers only, read only
            ("report read", "broker.first.response.report", "read", fixed(self.report.ids, ["p90_minutes"]), MANAGER),
            ("report write", "broker.first.response.report", "write",
             fixed(self.report.ids, {"lead_count": 0}), NOBODY),
            ("report create", "broker.first.response.report", "create", fixed({"lead_count": 1}), NOBODY),
            ("report unlink", "broker.first.response.report", "unlink", fixed(self.report.ids), NOBODY),
            ("report export", "broker.first.response.report", "export_data",
             fixed(self.report.ids, ["p90_minutes"]), MANAGER),
            # the deal's service fields (accountants read every deal)
            ("deal service read", "crm.lead", "read",
             fixed(lead.ids, ["broker_channel_id", "first_response_minutes", "client_initiated_date"]),
             DEAL | {"accountant"}),
            ("deal service write", "crm.lead", "write", fixed(lead.ids, {"client_initiated_date": "2026-11-17"}), DEAL),
            ("deal first response by hand", "crm.lead", "write",
             fixed(lead.ids, {"first_response_date": "2026-11-17 10:01:00"}), MANAGER),
            ("deal service export", "crm.lead", "export_data",
             fixed(lead.ids, ["first_response_minutes", "broker_channel_id/name"]), MANAGER),
            # the meeting's confirmation task on the deal
            # (Odoo shows a task to its assignee and to those who may write its document)
            ("confirmation read", "mail.activity", "read", fixed(confirmation.ids, ["summary"]), DEAL),
            ("confirmation write", "mail.activity", "write", fixed(confirmation.ids, {"note": "Called"}), DEAL),
            ("task unlink", "mail.activity", "unlink", fresh_activity, DEAL),
            # the deal's meeting: the calendar shows it to every employee; its deal fields follow the deal
            ("meeting read", "calendar.event", "read",
             fixed(event.ids, ["broker_next_action", "broker_confirmation_activity_id"]), EMPLOYEES),
            ("meeting next action", "calendar.event", "write",
             fixed(event.ids, {"broker_next_action": "Signs on Monday"}), DEAL),
            ("meeting moved", "calendar.event", "write",
             fixed(event.ids, {"start": fields.Datetime.to_string(event.start + timedelta(days=1)),
                               "stop": fields.Datetime.to_string(event.stop + timedelta(days=1))}), DEAL),
            ("meeting confirmation by hand", "calendar.event", "write",
             fixed(event.ids, {"broker_confirmation_activity_id": confirmation.id}), NOBODY),
            ("meeting on the deal", "calendar.event", "create",
             fixed({"name": "Another", "start": fields.Datetime.to_string(event.start),
                    "stop": fields.Datetime.to_string(event.stop), "opportunity_id": lead.id}), DEAL),
            # the client's personal notes: the staff who talk to the client
            ("personal notes read", "res.partner", "read",
             fixed(self.client.ids, ["broker_personal_notes"]), DEAL),
            ("personal notes write", "res.partner", "write",
             fixed(self.client.ids, {"broker_personal_notes": "Prefers e-mail"}), DEAL),
            ("consultations of the client", "res.partner", "read",
             fixed(self.client.ids, ["broker_consultation_ids"]), DEAL),
        ]  # fmt: skip

    # ------------------------------------------------------------------ running them
    def _orm(self, role, model, method, args, kwargs=None):
        env = self.env(user=self.users[role])
        try:
            with self.env.cr.savepoint(flush=True):
                result = api.call_kw(env[model], method, args, kwargs or {})
                env.flush_all()
                raise Rollback
        except Rollback:
            # a search "allows" the record when it finds it
            return bool(result) if method == "search_read" else True
        except UserError as error:
            # a refusal, not a validation error nor a missing record
            if type(error) not in (AccessError, UserError):
                raise
            return False
        finally:
            self.env.invalidate_all()

    def _rpc(self, model, method, args, kwargs=None):
        try:
            with mute_logger("odoo.http"):
                result = self.make_jsonrpc_request(
                    f"/web/dataset/call_kw/{model}/{method}",
                    {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
                )
        except JsonRpcException as error:
            self.assertIn(str(error), REFUSALS, f"{model}.{method} failed instead of being refused")
            return False
        finally:
            self.env.invalidate_all()
        return bool(result) if method == "search_read" else True

    def _login(self, role):
        if getattr(self, "session", None):
            self.logout()
        if role != "public":
            self.authenticate(self.users[role].login, PASSWORD)

    def _matrix(self, run):
        """{label: roles allowed} as found through run(role, model, method, args) and as expected."""
        found, expected = {}, {}
        for role in ROLES:
            for label, model, method, make_args, allowed in self._operations():
                if run(role, model, method, make_args()):
                    found.setdefault(label, set()).add(role)
                expected[label] = allowed
        return {label: found.get(label, set()) for label in expected}, expected

    def test_orm_as_the_user(self):
        found, expected = self._matrix(lambda role, *call: self._orm(role, *call))
        for label, allowed in expected.items():
            with self.subTest(operation=label):
                self.assertEqual(found[label], allowed)

    def test_json_rpc(self):
        current = []

        def run(role, *call):
            if current != [role]:
                self._login(role)
                current[:] = [role]
            return self._rpc(*call)

        found, expected = self._matrix(run)
        for label, allowed in expected.items():
            with self.subTest(operation=label):
                self.assertEqual(found[label], allowed)

    def test_csv_export(self):
        exports = {
            "broker.channel": (self.channel, "name", self.channel.name),
            "broker.cadence.step": (self.step, "summary", self.step.summary),
            "broker.consultation": (self.consultation, "summary", "Mortgage options"),
            "broker.client.voice": (self.voice, "text", "Slow answer"),
            "broker.first.response.report": (self.report[:1], "lead_count", "lead_count"),
            "res.partner": (self.client, "broker_personal_notes", "Calls after noon only"),
        }
        for role in ROLES:
            self._login(role)
            for model, (records, fname, needle) in exports.items():
                data = {"model": model, "fields": [{"name": fname, "label": fname}], "ids": records.ids,
                        "domain": [], "import_compat": False}  # fmt: skip
                with mute_logger("odoo.http", "odoo.addons.web.controllers.export"):
                    response = self.url_open("/web/export/csv?" + urlencode({"data": json.dumps(data)}))
                with self.subTest(role=role, model=model):
                    if role == "manager":
                        self.assertEqual(response.status_code, 200)
                        self.assertIn(str(needle), response.text)
                    else:
                        self.assertTrue(response.status_code >= 400 or "/web/login" in response.url)
                        self.assertNotIn("Calls after noon", response.text)
                        if model in ("broker.consultation", "broker.client.voice"):
                            self.assertNotIn(str(needle), response.text)
