"""Access matrix of broker_crm for the internal roles, through the ORM as the user and through
the routes the web client uses (JSON-RPC, /web/export/csv, /web/content, /report/pdf).

Users are created the way an administrator creates them: Settings → Users (the default user
template), then the Credit Broker role. The portal rows are in test_portal_access.py; commissions
and partner bills in broker_commission's own matrix.
"""

import base64
import json

from odoo import Command, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import new_broker_user

SCAN = base64.b64encode(b"%PDF-1.4 signed contract")
ROLES = ("agent", "agent2", "leader", "manager", "accountant")

# (model, operation) -> roles allowed, on records of a deal owned by "agent" in the broker team
# whose leader is "leader". "unlink" of a deal archives it (nothing is deleted, see TestNothingLost).
EXPECTED = {
    ("crm.lead", "read"): {"agent", "leader", "manager", "accountant"},
    ("crm.lead", "write"): {"agent", "leader", "manager"},
    ("crm.lead", "create"): {"agent", "agent2", "leader", "manager"},
    ("crm.lead", "unlink"): {"agent", "leader", "manager"},
    ("crm.lead", "export"): {"manager"},
    ("broker.lead.document", "read"): {"agent", "leader", "manager", "accountant"},
    ("broker.lead.document", "write"): {"agent", "leader", "manager"},
    ("broker.lead.document", "export"): {"manager"},
    ("broker.lead.criterion", "read"): {"agent", "leader", "manager", "accountant"},
    ("broker.lead.criterion", "write"): {"agent", "leader", "manager"},
    ("broker.lead.stop.factor", "read"): {"agent", "leader", "manager", "accountant"},
    ("broker.lead.stop.factor", "write"): {"agent", "leader", "manager"},
    ("broker.bank.application", "read"): {"agent", "leader", "manager", "accountant"},
    ("broker.bank.application", "write"): {"agent", "leader", "manager"},
    ("broker.credit.product", "read"): set(ROLES),
    ("broker.credit.product", "write"): {"manager"},
    ("broker.credit.product", "unlink"): set(),
    ("res.partner", "read"): {"agent", "leader", "manager", "accountant"},
    ("res.partner", "export"): {"manager"},
}
# sensitive fields of the deal -> roles that read them (on the deal above)
SENSITIVE_DEAL_FIELDS = {
    "passport_number": {"agent", "leader", "manager", "accountant"},
    "client_inn": {"agent", "leader", "manager", "accountant"},
    "description": {"agent", "leader", "manager", "accountant"},
    "fee_percent": {"agent", "leader", "manager", "accountant"},
}


class _Done(Exception):
    """Raised inside the savepoint to roll back an operation that went through."""


@tagged("post_install", "-at_install")
class TestAccessMatrix(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        broker_role = {"agent2": "agent", "leader": "agent"}
        users = {role: new_broker_user(cls.env, f"mx_{role}", broker_role.get(role, role), password=f"mx_{role}_pw_1")
                 for role in ROLES}  # fmt: skip
        cls.users = users
        team = cls.env.ref("broker_crm.crm_team_broker")
        team.user_id = users["leader"]
        cls.client = cls.env["res.partner"].create({"name": "Matrix Client", "vat": "7707083893"})
        cls.referral = cls.env["res.partner"].create(
            {"name": "Matrix Ref", "is_company": True, "is_broker_partner": True}
        )
        product = cls.env["broker.credit.product"].create({
            "name": "Matrix product", "code": "MX", "fee_percent": 2.0,
            "criterion_ids": [Command.create({"name": "Matrix criterion"})],
            "document_type_ids": [Command.create({"name": "Matrix passport"})],
        })  # fmt: skip
        cls.deal = (
            cls.env["crm.lead"]
            .with_user(users["agent"])
            .create({"name": "Matrix deal", "type": "opportunity", "team_id": team.id, "partner_id": cls.client.id,
                     "credit_product_id": product.id, "passport_series": "4510", "passport_number": "123456",
                     "client_inn": "7707083893", "description": "<p>internal note</p>",
                     "contract_signed_scan": SCAN, "contract_signed_scan_name": "signed.pdf"})
        )  # fmt: skip
        cls.deal.sudo().write({"referral_partner_id": cls.referral.id, "amount_issued": 1_000_000})
        cls.deal.sudo().write({
            "stop_factor_ids": [Command.create({"stop_factor_id": cls.env["broker.stop.factor"].create(
                {"name": "Matrix stop"}).id, "resolved": True})],
            "bank_application_ids": [Command.create({"bank_id": cls.env["res.bank"].create({"name": "MX Bank"}).id})],
        })  # fmt: skip
        cls.records = {
            "crm.lead": cls.deal,
            "broker.lead.document": cls.deal.document_ids[:1],
            "broker.lead.criterion": cls.deal.criterion_ids[:1],
            "broker.lead.stop.factor": cls.deal.stop_factor_ids[:1],
            "broker.bank.application": cls.deal.bank_application_ids[:1],
            "broker.credit.product": product,
            "res.partner": cls.client,
        }
        cls.write_vals = {
            "crm.lead": {"amount_requested": 3_000_000},
            "broker.lead.document": {"note": "checked"},
            "broker.lead.criterion": {"note": "checked"},
            "broker.lead.stop.factor": {"note": "checked"},
            "broker.bank.application": {"note": "checked"},
            "broker.credit.product": {"name": "Renamed"},
        }

    # ------------------------------------------------------------------ ORM as the user
    def _allowed(self, role, model, operation):
        """Whether the operation goes through; whatever it did is rolled back."""
        record = self.records[model].with_user(self.users[role])
        try:
            with mute_logger("odoo.models", "odoo.addons.base.models.ir_rule"), self.env.cr.savepoint():
                if operation == "read":
                    record.read(["display_name"])
                elif operation == "write":
                    record.write(self.write_vals[model])
                elif operation == "unlink":
                    record.unlink()
                elif operation == "create":
                    record.create({"name": "New deal", "type": "opportunity"})
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
        self.assertTrue(self.deal.exists(), "unlink archives the deal")

    def test_sensitive_fields_orm(self):
        for fname, readers in SENSITIVE_DEAL_FIELDS.items():
            for role in ROLES:
                with self.subTest(field=fname, role=role):
                    deal = self.deal.with_user(self.users[role])
                    try:
                        deal.read([fname])
                        readable = True
                    except AccessError:
                        readable = False
                    self.assertEqual(readable, role in readers)

    # ------------------------------------------------------------------ the web client's routes
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
    def test_json_rpc_export_content_report(self):
        deal = self.deal
        for role in ROLES:
            with self.subTest(role=role):
                self.authenticate(f"mx_{role}", f"mx_{role}_pw_1")
                result = self._rpc("crm.lead", "read", [deal.ids, ["name", "passport_number", "client_inn"]])
                if role in EXPECTED[("crm.lead", "read")]:
                    self.assertEqual(result["result"][0]["passport_number"], "123456")
                else:
                    self.assertIn("error", result)
                    self.assertNotIn("123456", json.dumps(result))

                response = self._export_csv("crm.lead", deal.ids, ["name", "passport_number"])
                if role == "manager":
                    self.assertEqual(response.status_code, 200)
                    self.assertIn("Matrix deal", response.text)
                else:
                    self.assertNotIn("123456", response.text)
                    self.assertNotEqual(response.status_code, 200)

                response = self.url_open(f"/web/content/crm.lead/{deal.id}/contract_signed_scan")
                if role in EXPECTED[("crm.lead", "read")]:
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(response.content, base64.b64decode(SCAN))
                else:
                    self.assertIn(response.status_code, (403, 404))
                if role == "agent2":
                    response = self.url_open(f"/report/pdf/broker_crm.report_broker_contract/{deal.id}")
                    self.assertNotEqual(response.status_code, 200)
                    self.assertNotIn(b"%PDF", response.content[:10])
                # money fields are the manager's and the accountant's
                result = self._rpc("crm.lead", "write", [deal.ids, {"amount_issued": 9_999_999}])
                self.assertEqual("error" not in result, role == "manager")
                self.env.invalidate_all()
                deal.sudo().amount_issued = 1_000_000
