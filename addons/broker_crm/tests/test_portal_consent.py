import json
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from ..models.broker_consent_request import REQUEST_VALID_HOURS
from .common import new_broker_user, new_portal_partner_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64
LINK = re.compile(r"/consent/([A-Za-z0-9_-]{20,})")


@tagged("post_install", "-at_install")
class TestBrokerPortalConsent(HttpCase):
    """Client's consents collected through the partner portal: a signed scan or a one-time e-mail link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.manager = new_broker_user(env, "pc_manager", "manager")
        cls.product = env["broker.credit.product"].create({"name": "Consent product", "code": "PC_CONSENT"})
        cls.partner_a = env["res.partner"].create({"name": "Echo Referrals", "is_company": True,
                                                   "is_broker_partner": True})  # fmt: skip
        cls.partner_b = env["res.partner"].create({"name": "Foxtrot Referrals", "is_company": True,
                                                   "is_broker_partner": True})  # fmt: skip
        cls.portal_a = new_portal_partner_user(env, "pc_echo", cls.partner_a)
        cls.portal_b = new_portal_partner_user(env, "pc_foxtrot", cls.partner_b)
        for user in (cls.portal_a, cls.portal_b):
            user.password = f"{user.login}_pw1"

    # ------------------------------------------------------------------ helpers
    def _login(self, user):
        if user:
            self.authenticate(user.login, f"{user.login}_pw1")
        else:
            self.authenticate(None, None)

    def _csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _submit(self, data=None, files=None):
        values = {
            "client_type": "individual",
            "contact_name": "Irina Consentclient",
            "phone": "+7 900 222-33-44",
            "email_from": "irina@client.example",
            "credit_product_id": str(self.product.id),
            "amount_requested": "1 500 000",
            "csrf_token": self._csrf("/my/deals/new"),
        }
        values.update(data or {})
        values = {k: v for k, v in values.items() if v is not None}
        return self.url_open("/my/deals/new", data=values, files=files, allow_redirects=False)

    def _deal(self):
        return (
            self.env["crm.lead"].with_context(active_test=False).search([("contact_name", "=", "Irina Consentclient")])
        )

    def _consents(self):
        return self.env["broker.consent"].search([("partner_id.name", "=", "Irina Consentclient")])

    def _submit_with_link(self):
        """Submit as partner A with the e-mail option; returns (deal, token) read from the e-mail."""
        self._login(self.portal_a)
        response = self._submit({"consent_mode": "email"})
        self.assertEqual(response.status_code, 303, response.text[:1000])
        deal = self._deal()
        self.assertEqual(len(deal), 1)
        consent_request = self.env["broker.consent.request"].search([("lead_id", "=", deal.id)])
        self.assertEqual(len(consent_request), 1)
        mail = self.env["mail.mail"].search([("model", "=", "broker.consent.request"),
                                             ("res_id", "=", consent_request.id)])  # fmt: skip
        self.assertEqual(len(mail), 1, "one e-mail to the client")
        self.assertEqual(mail.email_to, "irina@client.example")
        match = LINK.search(mail.body_html)
        self.assertTrue(match, "the e-mail contains the link")
        self.assertIn(f"{consent_request.get_base_url()}/consent/{match.group(1)}", mail.body_html)
        return deal, match.group(1)

    def _status(self, deal, user=None):
        self._login(user or self.portal_a)
        response = self.url_open(f"/my/deals/{deal.id}")
        self.assertEqual(response.status_code, 200)
        return re.search(r'o_broker_consent_status[^"]*" data-status="([a-z_]+)"', response.text).group(1)

    # ------------------------------------------------------------------ signed consent
    def test_submit_with_consent_file(self):
        self._login(self.portal_a)
        response = self._submit({"consent_mode": "file"},
                                files={"consent_file": ("consent.pdf", PDF, "application/pdf")})  # fmt: skip
        self.assertEqual(response.status_code, 303, response.text[:1000])
        deal = self._deal()
        self.assertEqual(len(deal), 1)
        client = deal.partner_id
        self.assertTrue(client, "the submission creates the client's contact")
        self.assertEqual(client.name, "Irina Consentclient")
        self.assertEqual(client.email, "irina@client.example")
        consents = self._consents()
        self.assertEqual(sorted(consents.mapped("kind")), ["credit_history", "personal_data"])
        for consent in consents:
            self.assertEqual(consent.partner_id, client)
            self.assertEqual(consent.lead_id, deal)
            self.assertEqual(consent.method, "paper")
            self.assertEqual(consent.document_name, "consent.pdf")
            self.assertEqual(consent.date_given, fields.Date.today())
            self.assertEqual(consent.state, "valid")
            self.assertIn(consent.company_id.name, consent.purpose)
            self.assertEqual(consent.user_id, self.portal_a)
        self.assertEqual(self.env["ir.attachment"].search([
            ("res_model", "=", "broker.consent"), ("res_id", "in", consents.ids), ("res_field", "=", "document"),
        ]).mapped("raw"), [PDF, PDF])  # fmt: skip
        self.assertTrue(client._broker_consent_valid("credit_history"))
        self.assertFalse(self.env["broker.consent.request"].search([("lead_id", "=", deal.id)]))
        self.assertEqual(self._status(deal), "valid")

    def test_submit_company_client_consents_are_the_contacts(self):
        self._login(self.portal_a)
        response = self._submit({"consent_mode": "file", "client_type": "company", "partner_name": "Kilo LLC"},
                                files={"consent_file": ("consent.png", PNG, "image/png")})  # fmt: skip
        self.assertEqual(response.status_code, 303, response.text[:1000])
        deal = self._deal()
        self.assertEqual(deal.partner_id.name, "Irina Consentclient")
        self.assertEqual(deal.partner_id.parent_id.name, "Kilo LLC")
        self.assertEqual(self._consents().partner_id, deal.partner_id)

    def test_submit_without_consent_is_refused(self):
        self._login(self.portal_a)
        cases = [
            ({"consent_mode": None}, None, "consent", "signed consent or send the client a confirmation link"),
            ({"consent_mode": "other"}, None, "consent", "signed consent or send the client a confirmation link"),
            ({"consent_mode": "file"}, None, "consent_file", "Attach the client"),
            ({"consent_mode": "file"}, {"consent_file": ("consent.docx", PDF, "application/pdf")}, "consent_file",
             "as PDF, JPG or PNG"),
            ({"consent_mode": "file"}, {"consent_file": ("consent.pdf", EXE, "application/pdf")}, "consent_file",
             "looks like a program"),
            ({"consent_mode": "file"}, {"consent_file": ("consent.png", PDF, "image/png")}, "consent_file",
             "does not match"),
            ({"consent_mode": "email", "email_from": ""}, None, "email_from", "the confirmation link is sent there"),
        ]  # fmt: skip
        for data, files, field, error in cases:
            with self.subTest(data=data, files=files and files["consent_file"][0]):
                response = self._submit(data, files)
                self.assertEqual(response.status_code, 400)
                # the error is shown next to its field
                self.assertRegex(response.text, rf'invalid-feedback[^"]*" data-field="{field}">[^<]*{re.escape(error)}')
                self.assertFalse(self._deal())
                self.assertFalse(self._consents())
                self.assertFalse(self.env["res.partner"].search([("name", "=", "Irina Consentclient")]))
                self.assertFalse(self.env["broker.consent.request"].search([("email", "=", "irina@client.example")]))

    # ------------------------------------------------------------------ confirmation link
    def test_link_confirms_once(self):
        deal, token = self._submit_with_link()
        self.assertFalse(self._consents(), "nothing is consented before the client confirms")
        self.assertEqual(self._status(deal), "waiting")
        # the client is not logged in
        self._login(None)
        page = self.url_open(f"/consent/{token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("I agree", page.text)
        self.assertIn("152-FZ", page.text)
        self.assertIn("218-FZ", page.text)
        consent_request = self.env["broker.consent.request"].search([("lead_id", "=", deal.id)])
        self.assertIn(consent_request.company_id.name, page.text)
        self.assertFalse(self._consents(), "opening the page writes nothing")
        # without the CSRF token nothing is recorded
        with mute_logger("odoo.http"):
            response = self.url_open(f"/consent/{token}", data={"agree": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._consents())
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(f"/consent/{token}", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_broker_consent_done", response.text)
        consents = self._consents()
        self.assertEqual(sorted(consents.mapped("kind")), ["credit_history", "personal_data"])
        for consent in consents:
            self.assertEqual(consent.method, "email_link")
            self.assertEqual(consent.partner_id, deal.partner_id)
            self.assertEqual(consent.lead_id, deal)
            self.assertEqual(consent.date_given, fields.Date.today())
            self.assertTrue(consent.purpose)
        consent_request.invalidate_recordset()
        self.assertEqual(consent_request.state, "confirmed")
        self.assertEqual(consent_request.consent_ids, consents)
        # single use: neither the page nor a second confirmation work again
        self.assertEqual(self.url_open(f"/consent/{token}").status_code, 410)
        response = self.url_open(f"/consent/{token}", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 410)
        self.assertIn("already used", response.text)
        self.assertEqual(self._consents(), consents, "nothing more written")
        self.assertEqual(self._status(deal), "valid")

    def test_link_expires(self):
        deal, token = self._submit_with_link()
        later = fields.Datetime.now() + timedelta(hours=REQUEST_VALID_HOURS, minutes=1)
        self._login(None)
        csrf = self._csrf(f"/consent/{token}")
        with freeze_time(later):
            page = self.url_open(f"/consent/{token}")
            self.assertEqual(page.status_code, 410)
            self.assertIn("expired", page.text)
            response = self.url_open(f"/consent/{token}", data={"csrf_token": csrf})
            self.assertEqual(response.status_code, 410)
            self.assertFalse(self._consents())
            self.assertEqual(self.env["broker.consent.request"].search([("lead_id", "=", deal.id)]).state, "expired")
            self.assertEqual(self._status(deal), "link_expired")

    def test_partner_sends_a_new_link_after_expiry(self):
        deal, _token = self._submit_with_link()
        ConsentRequest = self.env["broker.consent.request"]
        self._login(self.portal_a)
        csrf = self._csrf(f"/my/deals/{deal.id}")
        # a link is still waiting: nothing is sent again
        response = self.url_open(f"/my/deals/{deal.id}/consent-link", data={"csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("message=consent_not_sent", response.headers["Location"])
        self.assertEqual(ConsentRequest.search_count([("lead_id", "=", deal.id)]), 1)
        later = fields.Datetime.now() + timedelta(hours=REQUEST_VALID_HOURS, minutes=1)
        with freeze_time(later):
            page = self.url_open(f"/my/deals/{deal.id}")
            self.assertIn("o_broker_consent_resend", page.text, "the expired link can be sent again")
            # another firm's partner cannot
            self._login(self.portal_b)
            csrf_b = self._csrf("/my/deals/new")
            response = self.url_open(f"/my/deals/{deal.id}/consent-link", data={"csrf_token": csrf_b})
            self.assertEqual(response.status_code, 404)
            self.assertEqual(ConsentRequest.search_count([("lead_id", "=", deal.id)]), 1)
            self._login(self.portal_a)
            response = self.url_open(
                f"/my/deals/{deal.id}/consent-link", data={"csrf_token": self._csrf(f"/my/deals/{deal.id}")},
                allow_redirects=False,
            )  # fmt: skip
            self.assertIn("message=consent_sent", response.headers["Location"])
            second = ConsentRequest.search([("lead_id", "=", deal.id)], order="id desc", limit=1)
            self.assertEqual(ConsentRequest.search_count([("lead_id", "=", deal.id)]), 2)
            self.assertEqual(second.email, "irina@client.example", "always the client's address on the deal")
            mail = self.env["mail.mail"].search([("model", "=", "broker.consent.request"), ("res_id", "=", second.id)])
            token = LINK.search(mail.body_html).group(1)
            self.assertEqual(self._status(deal), "waiting")
            self._login(None)
            response = self.url_open(f"/consent/{token}", data={"csrf_token": self._csrf(f"/consent/{token}")})
            self.assertEqual(response.status_code, 200)
            self.assertEqual(self._status(deal), "valid")

    def test_wrong_token_is_not_found(self):
        _deal, token = self._submit_with_link()
        self._login(None)
        csrf = self._csrf(f"/consent/{token}")
        for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 200):
            with self.subTest(token=wrong[:10]):
                self.assertEqual(self.url_open(f"/consent/{wrong}").status_code, 404)
                response = self.url_open(f"/consent/{wrong}", data={"csrf_token": csrf})
                self.assertEqual(response.status_code, 404)
        self.assertFalse(self._consents())
        request = self.env["broker.consent.request"].search([("email", "=", "irina@client.example")])
        self.assertEqual(request.state, "pending")

    def test_token_is_not_stored(self):
        _deal, token = self._submit_with_link()
        self.env.cr.execute("SELECT token_hash FROM broker_consent_request")
        stored = [row[0] for row in self.env.cr.fetchall()]
        self.assertNotIn(token, stored)
        self.assertTrue(all(len(value) == 64 for value in stored))

    # ------------------------------------------------------------------ access
    def test_other_partner_cannot_see_the_consent_status(self):
        deal, _token = self._submit_with_link()
        self._login(self.portal_b)
        response = self.url_open(f"/my/deals/{deal.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("o_broker_consent_status", response.text)
        self.assertNotIn("Consentclient", response.text)

    @mute_logger("odoo.http")
    def test_portal_cannot_read_consents_by_rpc(self):
        self._login(self.portal_a)
        self._submit({"consent_mode": "file"}, files={"consent_file": ("consent.pdf", PDF, "application/pdf")})
        consents = self._consents()
        self.assertEqual(len(consents), 2)
        deal, _token = self._deal(), None
        for model, method, args in (
            ("broker.consent", "read", [consents.ids, ["purpose", "partner_id"]]),
            ("broker.consent", "search_read", [[]]),
            ("broker.consent.request", "search_read", [[]]),
            ("broker.consent", "create", [{"partner_id": deal.partner_id.id, "kind": "marketing", "purpose": "x",
                                           "method": "sms"}]),
        ):  # fmt: skip
            with self.subTest(model=model, method=method):
                payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                    "model": model, "method": method, "args": args, "kwargs": {}}})  # fmt: skip
                response = self.url_open(f"/web/dataset/call_kw/{model}/{method}", data=payload,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
                body = response.json()
                self.assertIn("error", body)
                self.assertIn("AccessError", body["error"]["data"]["name"])
        self.assertEqual(len(self.env["broker.consent"].search([("partner_id", "=", deal.partner_id.id)])), 2)
        response = self.url_open(f"/web/content/broker.consent/{consents[0].id}/document")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(PDF, response.content)
