"""Partner portal trust boundary: what portal users and the public get through every route.

Referral partners are portal users with no access rights on deals and their lines: the portal
pages are their only window and show whitelisted values of their own deals (commissions and bills:
broker_commission's test_portal_access.py).
"""

import base64
import json
import re

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import new_broker_user, new_portal_partner_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SIGNED_CONTRACT = PDF + b"% SIGNED-CONTRACT-BYTES\n"
CLIENT_CONTRACT = PDF + b"% CONTRACT-SENT-TO-CLIENT\n"
# values of the deal no partner may see, whatever the route
SECRETS = (
    "654321",  # passport number
    "500100732259",  # INN
    "SECRET-NOTE",  # internal notes (description)
    "BUREAU-MARK",  # stop-factor note from the credit bureau check
    "BANK-NOTE",
    "CRITERION-NOTE",
    "Dear client",  # e-mail to the client
    "SIGNED-CONTRACT-BYTES",
    "CONTRACT-SENT-TO-CLIENT",
    "770-00",  # passport division code
    "7707083893",  # INN
)


class BrokerPortalAccessCommon(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.team = env.ref("broker_crm.crm_team_broker")
        cls.stages = {
            s.broker_step: s
            for s in env["crm.stage"].search([("broker_step", "!=", False), ("team_id", "=", cls.team.id)])
        }
        cls.agent = new_broker_user(env, "pa_agent", "agent", password="pa_agent_pw1")
        cls.company_a = env["res.partner"].create(
            {"name": "Alpha Referrals", "is_company": True, "is_broker_partner": True, "email": "alpha@ref.example"}
        )
        cls.company_b = env["res.partner"].create(
            {"name": "Bravo Referrals", "is_company": True, "is_broker_partner": True, "email": "bravo@ref.example"}
        )
        cls.portal_a = new_portal_partner_user(env, "pa_alpha", cls.company_a)
        cls.portal_b = new_portal_partner_user(env, "pa_bravo", cls.company_b)
        for user in (cls.portal_a, cls.portal_b):
            user.password = f"{user.login}_pw1"
        cls.client = env["res.partner"].create({"name": "Ivan Clientov", "email": "ivan@client.example"})
        doc_type = env["broker.document.type"].create({"name": "Passport scan"})
        cls.product = env["broker.credit.product"].create(
            {
                "name": "Access product",
                "code": "ACCESS",
                "document_type_ids": [Command.set(doc_type.ids)],
                "criterion_ids": [Command.create({"name": "Age 21-65"})],
            }
        )
        cls.deal_a = env["crm.lead"].create(
            {
                "name": "Alpha Deal",
                "type": "opportunity",
                "team_id": cls.team.id,
                "stage_id": cls.stages["new"].id,
                "user_id": cls.agent.id,
                "credit_product_id": cls.product.id,
                "amount_requested": 5_000_000,
                "referral_partner_id": cls.company_a.id,
                "partner_id": cls.client.id,
                "contact_name": "Ivan Clientov",
                "email_from": "ivan@client.example",
                "client_type": "individual",
                "client_inn": "500100732259",
                "passport_series": "4510",
                "passport_number": "654321",
                "passport_division_code": "770-001",
                "description": "<p>SECRET-NOTE: the client has debts</p>",
                "fee_percent": 3.5,
                "contract_signed_scan": base64.b64encode(SIGNED_CONTRACT),
                "contract_signed_scan_name": "signed.pdf",
            }
        )
        cls.deal_a.criterion_ids.note = "CRITERION-NOTE"
        stop_factor = env["broker.stop.factor"].create({"name": "Overdue"})
        cls.stop_a = env["broker.lead.stop.factor"].create(
            {"lead_id": cls.deal_a.id, "stop_factor_id": stop_factor.id, "note": "BUREAU-MARK 3 overdue loans"}
        )
        bank = env["res.bank"].create({"name": "Access Bank"})
        cls.bank_app_a = env["broker.bank.application"].create(
            {"lead_id": cls.deal_a.id, "bank_id": bank.id, "note": "BANK-NOTE"}
        )
        cls.attachment_a = env["ir.attachment"].create(
            {"name": "passport.pdf", "raw": PDF, "res_model": "crm.lead", "res_id": cls.deal_a.id}
        )
        cls.deal_a.document_ids._attach_files([("passport.pdf", PDF)])
        cls.deal_b = env["crm.lead"].create(
            {
                "name": "Bravo Deal",
                "type": "opportunity",
                "team_id": cls.team.id,
                "stage_id": cls.stages["new"].id,
                "contact_name": "Boris Secretclient",
                "amount_requested": 1_000_000,
                "referral_partner_id": cls.company_b.id,
            }
        )
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    # ------------------------------------------------------------------ helpers
    def _login(self, user):
        if user:
            self.authenticate(user.login, f"{user.login}_pw1" if user.share else "pa_agent_pw1")
        else:
            self.authenticate(None, None)

    def _json(self, url, **params):
        payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
        return self.url_open(url, data=payload, headers={"Content-Type": "application/json"})

    def _call_kw(self, model, method, args, kwargs=None):
        return self._json(
            f"/web/dataset/call_kw/{model}/{method}", model=model, method=method, args=args, kwargs=kwargs or {}
        )

    def _csrf(self):
        page = self.url_open("/my/deals/new")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def assertNoSecret(self, response):
        body = response.content.decode("utf-8", "replace")
        for secret in SECRETS:
            self.assertNotIn(secret, body, response.url)


@tagged("post_install", "-at_install")
class TestPortalAccessMatrix(BrokerPortalAccessCommon):
    """Portal partner, another partner's portal user and the public × every business model and route."""

    def _matrix_records(self):
        return {
            "crm.lead": self.deal_a,
            "broker.lead.document": self.deal_a.document_ids,
            "broker.bank.application": self.bank_app_a,
            "broker.stage.gate": self.env.ref("broker_crm.gate_credit_issued_amount"),
            "broker.lead.criterion": self.deal_a.criterion_ids,
            "broker.lead.stop.factor": self.stop_a,
            "ir.attachment": self.attachment_a,
        }

    def _assert_rpc_refused(self, response, public, allow_empty=False):
        self.assertNoSecret(response)
        data = response.json()
        if allow_empty and "result" in data:
            # searching is not an error, but finds nothing of the deal
            self.assertFalse(data["result"], response.url)
            return
        self.assertIn("error", data, f"{response.url}: {str(data)[:300]}")
        expected = "odoo.http.SessionExpiredException" if public else "odoo.exceptions.AccessError"
        self.assertEqual(data["error"]["data"]["name"], expected, f"{response.url}: {data['error']['data']['message']}")

    def test_rpc_matrix(self):
        for user in (self.portal_a, self.portal_b, None):
            self._login(user)
            public = user is None
            for model, record in self._matrix_records().items():
                with self.subTest(user=user and user.login, model=model):
                    ids = record.ids
                    self._assert_rpc_refused(self._call_kw(model, "read", [ids, ["display_name"]]), public)
                    self._assert_rpc_refused(
                        self._call_kw(model, "search_read", [[("id", "in", ids)], ["display_name"]]),
                        public,
                        allow_empty=True,
                    )
                    self._assert_rpc_refused(self._call_kw(model, "write", [ids, {"display_name": "x"}]), public)
                    self._assert_rpc_refused(self._call_kw(model, "create", [{"name": "x"}]), public)
                    self._assert_rpc_refused(self._call_kw(model, "unlink", [ids]), public)
        # nothing changed
        self.assertTrue(self.deal_a.exists() and self.deal_a.active)
        self.assertEqual(self.attachment_a.raw, PDF)

    def test_sensitive_deal_fields(self):
        fields = [
            "passport_series",
            "passport_number",
            "client_inn",
            "description",
            "fee_percent",
            "contract_signed_scan",
            "message_ids",
        ]
        for user in (self.portal_a, self.portal_b):
            self._login(user)
            with self.subTest(user=user.login):
                response = self._call_kw("crm.lead", "read", [self.deal_a.ids, fields])
                self._assert_rpc_refused(response, public=False)
                response = self._call_kw(
                    "crm.lead", "web_search_read", [], {"domain": [], "specification": {f: {} for f in fields}}
                )
                self._assert_rpc_refused(response, public=False)

    @mute_logger("odoo.http", "odoo.addons.web.controllers.export")
    def test_binary_report_export_routes(self):
        for user in (self.portal_a, self.portal_b, None):
            self._login(user)
            with self.subTest(user=user and user.login):
                for url in (
                    f"/web/content/crm.lead/{self.deal_a.id}/contract_signed_scan",
                    f"/web/content/{self.attachment_a.id}",
                    f"/web/content/{self.deal_a.document_ids.attachment_ids.id}",
                    f"/web/content/ir.attachment/{self.attachment_a.id}/datas",
                    f"/report/pdf/broker_crm.report_broker_contract/{self.deal_a.id}",
                    f"/report/html/broker_crm.report_broker_contract/{self.deal_a.id}",
                ):
                    response = self.url_open(url, allow_redirects=False)
                    self.assertNotEqual(response.status_code, 200, url)
                    self.assertNoSecret(response)
                    self.assertNotIn(b"%PDF", response.content, url)
                csrf = self._csrf() if user else ""
                for model, record in self._matrix_records().items():
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

    def test_portal_pages_show_own_data_only(self):
        self._login(self.portal_a)
        deals = self.url_open("/my/deals")
        self.assertEqual(deals.status_code, 200)
        self.assertIn("Ivan Clientov", deals.text)
        self.assertNotIn("Secretclient", deals.text)
        page = self.url_open(f"/my/deals/{self.deal_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Passport scan", page.text)
        self.assertNoSecret(page)
        self.assertEqual(self.url_open(f"/my/deals/{self.deal_b.id}").status_code, 404)
        self._login(self.portal_b)
        self.assertEqual(self.url_open(f"/my/deals/{self.deal_a.id}").status_code, 404)
        for url in ("/my/deals",):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertNotIn("Alpha Deal", response.text)
            self.assertNotIn("Ivan Clientov", response.text)
        self._login(None)
        for url in ("/my/deals", f"/my/deals/{self.deal_a.id}"):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (302, 303), url)

    @mute_logger("odoo.http")
    def test_private_upload_helper_is_not_callable(self):
        line = self.deal_a.document_ids
        self.assertFalse(hasattr(line, "attach_files"))
        self._login(self.agent)
        raw = base64.b64encode(PDF).decode()
        for method in ("_attach_files", "_create_deal_attachments", "attach_files"):
            response = self._call_kw("broker.lead.document", method, [line.ids, [["x.exe", raw]]])
            self.assertIn("error", response.json(), method)
        self.assertEqual(len(line.attachment_ids), 1)


@tagged("post_install", "-at_install")
class TestPortalConversation(BrokerPortalAccessCommon):
    """The partner follows and sees the partner subtype only; client e-mails and tracking stay inside."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subtype = cls.env.ref("broker_crm.mt_partner_message")
        cls.deal_a.message_subscribe(partner_ids=cls.portal_a.partner_id.ids, subtype_ids=cls.subtype.ids)
        # one write changing the stage together with personal data and fee terms
        cls.deal_a.write(
            {
                "stage_id": cls.stages["pre_analysis"].id,
                "passport_number": "654322",
                "passport_division_code": "770-002",
                "client_inn": "7707083893",
            }
        )
        cls.env.flush_all()
        cls.env.cr.precommit.run()
        # the e-mail to the client with the contract, as the "Send Contract" composer posts it
        cls.client_mail = cls.deal_a.message_post(
            body="<p>Dear client, here is your contract</p>",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=cls.client.ids,
            attachments=[("contract.pdf", CLIENT_CONTRACT)],
        )
        cls.shared = cls.deal_a.with_user(cls.agent).message_post(
            body="<p>Shared: the bank wants the income statement</p>",
            message_type="comment",
            subtype_xmlid="broker_crm.mt_partner_message",
        )

    def test_partner_follows_the_partner_subtype_only(self):
        self._login(self.portal_a)
        page = self.url_open("/my/deals/new")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(
            "/my/deals/new",
            allow_redirects=False,
            data={
                "csrf_token": csrf,
                "client_type": "individual",
                "contact_name": "Nina Newclient",
                "phone": "+7 900 123-45-67",
                "credit_product_id": str(self.product.id),
                "amount_requested": "100000",
                "email_from": "nina@newclient.example",
                "consent_mode": "email",
            },
        )
        self.assertEqual(response.status_code, 303, response.text[:500])
        deal = self.env["crm.lead"].search([("contact_name", "=", "Nina Newclient")])
        follower = deal.message_follower_ids.filtered(lambda f: f.partner_id == self.portal_a.partner_id)
        self.assertEqual(follower.subtype_ids, self.subtype)

    @mute_logger("odoo.http")
    def test_client_mail_and_contract_do_not_reach_the_partner(self):
        partner = self.portal_a.partner_id
        self.assertNotIn(partner, self.client_mail.notification_ids.res_partner_id)
        self.assertNotIn(partner, self.client_mail.partner_ids)
        self.assertIn(partner, self.shared.notification_ids.res_partner_id, "the shared message reaches the partner")
        attachment = self.client_mail.attachment_ids
        self.assertEqual(attachment.raw, CLIENT_CONTRACT)
        token = attachment.generate_access_token()[0]
        for user in (self.portal_a, self.portal_b, None):
            self._login(user)
            with self.subTest(user=user and user.login):
                for url in (f"/web/content/{attachment.id}", f"/web/content/{attachment.id}?download=true"):
                    response = self.url_open(url, allow_redirects=False)
                    self.assertNotEqual(response.status_code, 200, url)
                    self.assertNoSecret(response)
        # the token of an attachment opens that attachment only, never the deal's chatter
        self._login(self.portal_a)
        for kwargs in ({"token": token}, {"hash": token, "pid": partner.id}):
            for url in ("/mail/chatter_fetch", "/portal/chatter_init"):
                response = self._json(url, thread_model="crm.lead", thread_id=self.deal_a.id, **kwargs)
                self.assertNoSecret(response)

    @mute_logger("odoo.http")
    def test_mail_routes_give_nothing_on_deals(self):
        for user in (self.portal_a, self.portal_b, None):
            self._login(user)
            with self.subTest(user=user and user.login):
                thread = {"thread_model": "crm.lead", "thread_id": self.deal_a.id}
                for url, params in (
                    ("/mail/chatter_fetch", thread),
                    ("/portal/chatter_init", thread),
                    ("/mail/thread/data", {**thread, "request_list": ["followers", "attachments", "activities"]}),
                    ("/mail/thread/messages", thread),
                ):
                    response = self._json(url, **params)
                    self.assertNoSecret(response)
                    if user != self.portal_a:
                        self.assertNotIn("Shared: the bank", response.text, url)
                # reading messages or tracking values directly: only what was sent to the partner
                response = self._call_kw(
                    "mail.message",
                    "search_read",
                    [[("model", "=", "crm.lead"), ("res_id", "=", self.deal_a.id)], ["body", "tracking_value_ids"]],
                )
                self.assertNoSecret(response)
                result = response.json().get("result") or []
                self.assertTrue(all(not msg["tracking_value_ids"] for msg in result))
                self.assertTrue(all("Shared" in msg["body"] for msg in result))
                response = self._call_kw("mail.tracking.value", "search_read", [[], ["old_value_char"]])
                self.assertNoSecret(response)
                # posting on the deal's chatter is refused: the portal page is the only way in
                count = len(self.deal_a.message_ids)
                response = self._json(
                    "/mail/message/post",
                    thread_model="crm.lead",
                    thread_id=self.deal_a.id,
                    post_data={"body": "Hacked", "message_type": "comment"},
                )
                self.assertIn("error", response.json())
                self.assertEqual(len(self.deal_a.message_ids), count)

    def test_deal_page_shows_the_shared_conversation(self):
        self._login(self.portal_a)
        page = self.url_open(f"/my/deals/{self.deal_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Shared: the bank wants the income statement", page.text)
        self.assertIn("Pre-Analysis", page.text)  # stage history, by stage name only
        self.assertNoSecret(page)
        self.assertNotIn("654322", page.text)
