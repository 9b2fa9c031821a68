from odoo.tests import HttpCase, tagged

from .common import TOKEN, InstallmentCommon, auth_headers, event_body, sign

URL = "/broker_installments/webhook/BANK_A"


@tagged("post_install", "-at_install")
class TestWebhookEndpoint(InstallmentCommon, HttpCase):
    def setUp(self):
        super().setUp()
        self.order = self._make_order()
        self.application = self._application(self.order, external_id="H-1")
        self.Event = self.env["broker.installment.event"]

    def _call(self, body, headers, url=URL):
        return self.url_open(url, data=body, headers=headers)

    def test_signed_call_changes_the_status(self):
        body = event_body("H-1", "signing", "2020-01-01T10:00:00Z", amount=77000)
        self.application.status_time = "2020-01-01 09:00:00"
        response = self._call(body, auth_headers(body))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"result": "applied", "application": self.application.name})
        self.assertEqual((self.application.state, self.application.amount), ("signing", 77000))
        event = self.Event.search([], limit=1)
        self.assertEqual((event.result, event.application_id), ("applied", self.application))
        self.assertEqual(event.remote_addr, "127.0.0.1")
        # delivered again: answered, nothing more happens
        counts = self._counts()
        response = self._call(body, auth_headers(body))
        self.assertEqual((response.status_code, response.json()["result"]), (200, "duplicate"))
        self.assertEqual(self._counts(), counts)

    def test_bad_token_or_signature_is_refused_and_logged(self):
        body = event_body("H-1", "approved", "2020-01-01T10:00:00Z")
        counts = self._counts()
        response = self._call(body, {"Content-Type": "application/json", "X-Signature": sign(body)})
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), {"result": "rejected", "reason": "missing bearer token"})
        response = self._call(body, {"Authorization": f"Bearer {TOKEN}", "X-Signature": sign(body, "forged")})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["reason"], "invalid signature")
        self.assertEqual(self.application.state, "not_sent")
        self.assertEqual(self._counts(), counts)
        self.assertEqual(self.Event.search([], limit=2).mapped("http_status"), [403, 401])

    def test_malformed_body_gets_400(self):
        body = b'{"external_id": "H-1", "status": "signing"'
        response = self._call(body, auth_headers(body))
        self.assertEqual(response.status_code, 400)
        self.assertIn("body is not valid JSON", response.json()["reason"])
        self.assertEqual(self.Event.search([], limit=1).result, "rejected")

    def test_get_is_not_allowed_and_unknown_provider_is_404(self):
        self.assertEqual(self.url_open(URL).status_code, 405)
        body = event_body("H-1", "signing", "2020-01-01T10:00:00Z")
        self.assertEqual(self._call(body, auth_headers(body), url="/broker_installments/webhook/NOPE").status_code, 404)
