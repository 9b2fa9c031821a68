"""Access matrix of broker_commission for the internal roles, through the ORM as the user and
through the web client's JSON-RPC route: commissions, the partner's own rate and the freeze of the
deal's money fields once a commission exists.

Users are created the way an administrator creates them: Settings → Users (the default user
template), then the Credit Broker role. The portal rows are in test_portal_access.py.
"""

import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.broker_crm.tests.common import new_broker_user

ROLES = ("agent", "agent2", "leader", "manager", "accountant")
EXPECTED = {
    "read": {"manager", "accountant"},
    "write": {"manager", "accountant"},
    "unlink": set(),
    "export": {"manager"},
}
RATE_READERS = {"manager", "accountant"}


class _Done(Exception):
    """Raised inside the savepoint to roll back an operation that went through."""


@tagged("post_install", "-at_install")
class TestCommissionAccessMatrix(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        broker_role = {"agent2": "agent", "leader": "agent"}
        cls.users = {
            role: new_broker_user(cls.env, f"cx_{role}", broker_role.get(role, role), password=f"cx_{role}_pw_1")
            for role in ROLES
        }
        team = cls.env.ref("broker_crm.crm_team_broker")
        team.user_id = cls.users["leader"]
        client = cls.env["res.partner"].create({"name": "Matrix Client"})
        cls.referral = cls.env["res.partner"].create(
            {"name": "Matrix Ref", "is_company": True, "is_broker_partner": True, "broker_commission_custom": True,
             "broker_commission_rate": 3.0}
        )  # fmt: skip
        product = cls.env["broker.credit.product"].create(
            {"name": "Matrix product", "code": "CX", "fee_percent": 2.0,
             "document_type_ids": [Command.create({"name": "Matrix passport"})]}
        )  # fmt: skip
        cls.deal = (
            cls.env["crm.lead"]
            .with_user(cls.users["agent"])
            .create({"name": "Matrix deal", "type": "opportunity", "team_id": team.id, "partner_id": client.id,
                     "credit_product_id": product.id})
        )  # fmt: skip
        cls.deal.sudo().write({"referral_partner_id": cls.referral.id, "amount_issued": 1_000_000})
        cls.commission = cls.deal.sudo()._ensure_commission()

    def _allowed(self, role, operation):
        record = self.commission.with_user(self.users[role])
        try:
            with mute_logger("odoo.models", "odoo.addons.base.models.ir_rule"), self.env.cr.savepoint():
                if operation == "read":
                    record.read(["amount"])
                elif operation == "write":
                    record.write({"rate": 2.6})
                elif operation == "unlink":
                    record.unlink()
                elif operation == "export":
                    record.export_data(["amount"])
                record.env.flush_all()
                raise _Done()
        except _Done:
            return True
        except (AccessError, UserError):
            return False
        finally:
            self.env.invalidate_all()

    def test_orm_matrix(self):
        self.assertEqual(self.commission.rate, 3.0, "the partner's own rate")
        for operation, allowed in EXPECTED.items():
            for role in ROLES:
                with self.subTest(operation=operation, role=role):
                    self.assertEqual(self._allowed(role, operation), role in allowed)
        for role in ROLES:
            with self.subTest(field="broker_commission_rate", role=role):
                partner = self.referral.with_user(self.users[role])
                try:
                    partner.read(["broker_commission_rate"])
                    readable = True
                except AccessError:
                    readable = False
                self.assertEqual(readable, role in RATE_READERS)

    def _rpc(self, model, method, args):
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                             "params": {"model": model, "method": method, "args": args, "kwargs": {}}}),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        self.assertEqual(response.status_code, 200)
        return response.json()

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule", "odoo.models")
    def test_json_rpc(self):
        for role in ROLES:
            with self.subTest(role=role):
                self.authenticate(f"cx_{role}", f"cx_{role}_pw_1")
                result = self._rpc("broker.commission", "search_read", [[("id", "=", self.commission.id)], ["amount"]])
                self.assertEqual("error" not in result and bool(result["result"]), role in {"manager", "accountant"})
                result = self._rpc("crm.lead", "write", [self.deal.ids, {"amount_issued": 9_999_999}])
                self.assertIn("error", result, "nobody changes the issued amount once a commission exists")
                result = self._rpc("res.partner", "read", [self.referral.ids, ["broker_commission_rate"]])
                self.assertEqual("error" not in result, role in RATE_READERS)
        self.assertEqual(self.deal.amount_issued, 1_000_000)
