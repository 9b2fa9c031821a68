import logging

from odoo.tests import HttpCase, tagged

from ..models.broker_installment_event import MAX_BODY
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

    def test_bad_token_or_signature_is_refused_unrecorded(self):
        body = event_body("H-1", "approved", "2020-01-01T10:00:00Z")
        counts = self._counts()
        events = self.Event.search_count([])
        with self.assertLogs("odoo.addons.broker_installments", logging.INFO):
            response = self._call(body, {"Content-Type": "application/json", "X-Signature": sign(body)})
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response.json(), {"result": "rejected", "reason": "authentication failed"})
            response = self._call(body, {"Authorization": f"Bearer {TOKEN}", "X-Signature": sign(body, "forged")})
            self.assertEqual((response.status_code, response.json()["reason"]), (401, "authentication failed"))
        self.assertEqual(self.application.state, "not_sent")
        self.assertEqual(self._counts(), counts)
        self.assertEqual(self.Event.search_count([]), events)

    def test_malformed_body_gets_400(self):
        body = b'{"external_id": "H-1", "status": "signing"'
        response = self._call(body, auth_headers(body))
        self.assertEqual(response.status_code, 400)
        self.assertIn("body is not valid JSON", response.json()["reason"])
        self.assertEqual(self.Event.search([], limit=1).result, "rejected")

    def test_get_is_not_allowed_and_unknown_provider_looks_like_bad_auth(self):
        self.assertEqual(self.url_open(URL).status_code, 405)
        body = event_body("H-1", "signing", "2020-01-01T10:00:00Z")
        with self.assertLogs("odoo.addons.broker_installments", logging.INFO):
            unknown = self._call(body, auth_headers(body), url="/broker_installments/webhook/NOPE")
            bad_auth = self._call(body, auth_headers(body, token="nope"))
        self.assertEqual((unknown.status_code, unknown.json()), (bad_auth.status_code, bad_auth.json()))
        self.assertEqual(unknown.status_code, 401)

    def test_too_large_body_is_refused_unread(self):
        events = self.Event.search_count([])
        body = event_body("H-1", "signing", "2020-01-01T10:00:00Z", filler="x" * MAX_BODY)
        expected = {"result": "rejected", "reason": f"body larger than {MAX_BODY} bytes"}
        with self.assertLogs("odoo.addons.broker_installments", logging.INFO) as logs:
            # the route's limit refuses the declared length before reading the body (the form parser)
            response = self._call(body, auth_headers(body))
            self.assertEqual((response.status_code, response.json()), (413, expected))
            # without a content type the endpoint itself reads no more than the limit
            response = self._call(body, {})
            self.assertEqual((response.status_code, response.json()), (413, expected))
            # chunked, without a declared length: refused unread too
            response = self._call(iter([body[: MAX_BODY // 2], body[MAX_BODY // 2 :]]), auth_headers(body))
            self.assertEqual(
                (response.status_code, response.json()),
                (411, {"result": "rejected", "reason": "Content-Length required"}),
            )
        self.assertEqual(len(logs.records), 3)
        self.assertEqual(self.Event.search_count([]), events)
        self.assertEqual(self.application.state, "not_sent")

    def test_route_limits_the_body(self):
        rule = next(
            rule
            for rule in self.env["ir.http"].routing_map().iter_rules()
            if rule.rule == "/broker_installments/webhook/<string:provider_code>"
        )
        self.assertEqual(rule.endpoint.routing["max_content_length"], MAX_BODY)
