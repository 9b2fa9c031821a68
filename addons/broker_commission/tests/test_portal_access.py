"""Partner portal trust boundary for the money side: commissions, bills, invoices and acts.

Referral partners are portal users with no access rights on commissions or bills: /my/commissions
is their only window and shows whitelisted values of their own commissions.
"""

import base64
import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.broker_crm.tests.test_portal_access import BrokerPortalAccessCommon


def _commission_and_bill(cls):
    """A commission of partner A on its deal, billed with a posted bill."""
    env = cls.env
    cls.commission_a = env["broker.commission"].create(
        {"lead_id": cls.deal_a.id, "partner_id": cls.company_a.id, "rate": 1.5}
    )
    line = {"name": "Commission", "quantity": 1, "price_unit": 1000, "broker_commission_id": cls.commission_a.id}
    cls.bill_a = env["account.move"].create(
        {
            "move_type": "in_invoice",
            "partner_id": cls.company_a.id,
            "invoice_date": "2026-11-20",
            "invoice_line_ids": [Command.create(line)],
        }
    )
    cls.bill_a.action_post()
    cls.commission_a.bill_id = cls.bill_a
    env.flush_all()
    env.cr.precommit.run()


@tagged("post_install", "-at_install")
class TestCommissionPortalAccess(BrokerPortalAccessCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _commission_and_bill(cls)

    def _refused(self, response, public, allow_empty=False):
        self.assertNoSecret(response)
        data = response.json()
        if allow_empty and "result" in data:
            self.assertFalse(data["result"], response.url)
            return
        self.assertIn("error", data, f"{response.url}: {str(data)[:300]}")
        expected = "odoo.http.SessionExpiredException" if public else "odoo.exceptions.AccessError"
        self.assertEqual(data["error"]["data"]["name"], expected, f"{response.url}: {data['error']['data']['message']}")

    def test_rpc_matrix(self):
        records = {"broker.commission": self.commission_a, "account.move": self.bill_a}
        for user in (self.portal_a, self.portal_b, None):
            self._login(user)
            public = user is None
            for model, record in records.items():
                with self.subTest(user=user and user.login, model=model):
                    ids = record.ids
                    self._refused(self._call_kw(model, "read", [ids, ["display_name"]]), public)
                    self._refused(
                        self._call_kw(model, "search_read", [[("id", "in", ids)], ["display_name"]]),
                        public,
                        allow_empty=True,
                    )
                    self._refused(self._call_kw(model, "write", [ids, {"display_name": "x"}]), public)
                    self._refused(self._call_kw(model, "create", [{"name": "x"}]), public)
                    self._refused(self._call_kw(model, "unlink", [ids]), public)
            with self.subTest(user=user and user.login, model="crm.lead money fields"):
                fields = ["commission_amount", "invoice_id", "act_signed_scan", "fee_amount"]
                self._refused(self._call_kw("crm.lead", "read", [self.deal_a.ids, fields]), public)
        self.assertEqual(self.commission_a.rate, 1.5)

    @mute_logger("odoo.http", "odoo.addons.web.controllers.export")
    def test_binary_report_export_routes(self):
        for user in (self.portal_a, self.portal_b, None):
            self._login(user)
            with self.subTest(user=user and user.login):
                for url in (
                    f"/report/pdf/broker_commission.report_broker_act/{self.deal_a.id}",
                    f"/report/pdf/broker_commission.report_commission_statement/{self.commission_a.id}",
                    f"/report/pdf/account.report_invoice/{self.bill_a.id}",
                ):
                    response = self.url_open(url, allow_redirects=False)
                    self.assertNotEqual(response.status_code, 200, url)
                    self.assertNoSecret(response)
                    self.assertNotIn(b"%PDF", response.content, url)
                csrf = self._csrf() if user else ""
                for model, record in (("broker.commission", self.commission_a), ("account.move", self.bill_a)):
                    data = json.dumps(
                        {
                            "model": model,
                            "fields": [{"name": "display_name", "label": "Name"}],
                            "ids": record.ids,
                            "domain": [],
                            "import_compat": False,
                        }
                    )
                    response = self.url_open(
                        "/web/export/csv", data={"data": data, "csrf_token": csrf}, allow_redirects=False
                    )
                    self.assertNotEqual(response.status_code, 200, model)
                    self.assertNoSecret(response)

    def test_commissions_page_shows_own_data_only(self):
        self._login(self.portal_a)
        commissions = self.url_open("/my/commissions")
        self.assertEqual(commissions.status_code, 200)
        self.assertIn("Alpha Deal", commissions.text)
        self.assertIn(self.bill_a.name, commissions.text)
        self.assertNoSecret(commissions)
        home = self.url_open("/my")
        self.assertIn("/my/commissions", home.text)
        self._login(self.portal_b)
        response = self.url_open("/my/commissions")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Alpha Deal", response.text)
        self.assertNotIn(self.bill_a.name, response.text)
        self._login(None)
        response = self.url_open("/my/commissions", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))

    def test_commissions_totals_and_no_direct_access(self):
        Commission = self.env["broker.commission"]
        Commission.create({"lead_id": self.deal_b.id, "partner_id": self.company_b.id, "rate": 1.5})
        self._login(self.portal_a)
        response = self.url_open("/my/commissions")
        self.assertIn("o_broker_commission_period", response.text)
        self.assertNotIn("Bravo Deal", response.text)
        with self.assertRaises(AccessError):
            Commission.with_user(self.portal_a).search([])


EXE = b"MZ\x90\x00\x03" + b"\x00" * 64
PDF_RECEIPT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% RECEIPT\n"


@tagged("post_install", "-at_install")
class TestPortalReceipts(BrokerPortalAccessCommon):
    """A self-employed partner sees gross, withheld and net, the receipts still missing, and records
    the «Мой налог» receipt of its own commissions only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _commission_and_bill(cls)
        cls.company_a.write({"broker_tax_status": "self_employed", "vat": "500100732259"})
        cls.env.flush_all()

    def _post(self, commission, data=None, files=None):
        values = {"csrf_token": self._csrf(), "receipt_number": "20abc1", "receipt_date": "2026-11-20"}
        values.update(data or {})
        return self.url_open(
            f"/my/commissions/{commission.id}/receipt", data=values, files=files, allow_redirects=False
        )

    def test_missing_receipts_and_amounts_are_shown(self):
        self.assertEqual(self.commission_a.state, "billed")
        self.assertTrue(self.commission_a.receipt_missing)
        self._login(self.portal_a)
        page = self.url_open("/my/commissions")
        self.assertIn("o_broker_missing_receipts", page.text)
        self.assertIn("o_broker_receipt_form", page.text)
        self.assertIn("Tax Withheld", page.text)
        self.assertNoSecret(page)

    @mute_logger("odoo.http")
    def test_upload_checks_type_size_and_content_and_writes_nothing(self):
        self._login(self.portal_a)
        cases = [
            ({}, {"receipt_scan": ("receipt.exe", EXE, "application/octet-stream")}, "PDF, JPG or PNG"),
            ({}, {"receipt_scan": ("receipt.pdf", EXE, "application/pdf")}, "looks like a program"),
            ({}, {"receipt_scan": ("big.pdf", PDF_RECEIPT + b"0" * (10 * 1024 * 1024), "application/pdf")},
             "too large"),
            ({"receipt_number": ""}, {"receipt_scan": ("r.pdf", PDF_RECEIPT, "application/pdf")}, "number"),
            ({"receipt_date": "2099-01-01"}, {"receipt_scan": ("r.pdf", PDF_RECEIPT, "application/pdf")}, "future"),
            ({"receipt_url": "http://example.com/r"}, None, "https://"),
            ({}, None, "link from"),
        ]  # fmt: skip
        for data, files, message in cases:
            with self.subTest(message=message):
                response = self._post(self.commission_a, data, files)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
        self.commission_a.invalidate_recordset()
        self.assertFalse(self.commission_a.receipt_number or self.commission_a.receipt_scan)
        self.assertTrue(self.commission_a.receipt_missing)

    def test_only_the_partners_own_commission(self):
        self._login(self.portal_b)
        response = self._post(self.commission_a, files={"receipt_scan": ("r.pdf", PDF_RECEIPT, "application/pdf")})
        self.assertEqual(response.status_code, 404)
        self._login(None)
        response = self._post(self.commission_a, files={"receipt_scan": ("r.pdf", PDF_RECEIPT, "application/pdf")})
        self.assertIn("/web/login", response.headers.get("Location", ""), "the public is sent to log in")
        self.commission_a.invalidate_recordset()
        self.assertFalse(self.commission_a.receipt_number)

    def test_partner_records_the_receipt(self):
        self._login(self.portal_a)
        response = self._post(self.commission_a, files={"receipt_scan": ("receipt.pdf", PDF_RECEIPT,
                                                                          "application/pdf")})  # fmt: skip
        self.assertEqual(response.status_code, 303, response.text[:300])
        self.assertIn("/my/commissions?message=receipt", response.headers["Location"])
        commission = self.commission_a
        commission.invalidate_recordset()
        self.assertEqual((commission.receipt_number, str(commission.receipt_date)), ("20abc1", "2026-11-20"))
        self.assertEqual(base64.b64decode(commission.receipt_scan), PDF_RECEIPT)
        self.assertFalse(commission.receipt_missing)
        self.assertTrue(
            any("recorded the «Мой налог» receipt" in body for body in commission.message_ids.mapped("body"))
        )
        page = self.url_open("/my/commissions")
        self.assertNotIn("o_broker_missing_receipts", page.text)
