import json
import logging
from datetime import datetime, timezone

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from ..models.broker_installment_event import MAX_BODY, REFUSED_CALLS
from .common import HMAC_KEY, TOKEN, InstallmentCommon, auth_headers, event_body, sign


@freeze_time("2025-03-10 12:00:00")
@tagged("post_install", "-at_install")
class TestWebhookIntake(InstallmentCommon):
    def setUp(self):
        super().setUp()
        self.order = self._make_order()
        self.Event = self.env["broker.installment.event"]

    def _app(self, external_id):
        # known to the provider since the morning: the events of the tests come later
        return self._application(self.order, external_id=external_id, status_time="2025-03-10 09:00:00")

    def _last_event(self):
        return self.Event.search([], limit=1)

    def test_first_event_opens_the_application_on_the_order(self):
        body = event_body("A-1", "not_sent", "2025-03-10T11:00:00Z", order_ref=self.order.name, amount=85000)
        status, response = self._post(body)
        self.assertEqual((status, response["result"]), (200, "applied"))
        application = self.order.installment_application_ids
        self.assertEqual(response["application"], application.name)
        self.assertEqual((application.external_id, application.state, application.amount), ("A-1", "not_sent", 85000))
        self.assertEqual(application.provider_id, self.provider)
        self.assertEqual(application.status_time.isoformat(), "2025-03-10T11:00:00")
        self.assertEqual(len(application.task_ids), 1)
        self.assertEqual(application.letter_ids.send_state, "sent")
        event = self._last_event()
        self.assertEqual((event.result, event.application_id, event.http_status), ("applied", application, 200))

        # the provider's time zone is honoured: 11:30+03:00 is 08:30 UTC, older than 11:00 UTC
        status, response = self._post(event_body("A-1", "signing", "2025-03-10T11:30:00+03:00"))
        self.assertEqual((status, response["result"]), (200, "outdated"))
        self.assertEqual(application.state, "not_sent")

    def test_status_change_and_history(self):
        application = self._app("A-2")
        status, response = self._post(event_body("A-2", "signing", "2025-03-10T11:59:00Z"))
        self.assertEqual((status, response["result"]), (200, "applied"))
        self.assertEqual(application.state, "signing")
        self.assertEqual(application.task_ids.filtered(lambda t: t.outcome == "open").state, "signing")
        tracked = application.sudo().message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "state")
        self.assertEqual(tracked.new_value_char, "Signing Documents")

    def test_duplicate_delivery_has_one_effect(self):
        application = self._app("A-3")
        body = event_body("A-3", "bank_refused", "2025-03-10T11:00:00Z")
        self.assertEqual(self._post(body)[1]["result"], "applied")
        counts = self._counts()
        messages = len(application.message_ids) + len(self.order.message_ids)
        status, response = self._post(body)
        self.assertEqual((status, response["result"]), (200, "duplicate"))
        self.assertEqual(self._counts(), counts)
        self.assertEqual(len(application.message_ids) + len(self.order.message_ids), messages)
        self.assertEqual(self.Event.search([("external_id", "=", "A-3")]).mapped("result"), ["duplicate", "applied"])

    def test_out_of_order_event_never_moves_back(self):
        application = self._app("A-4")
        self._post(event_body("A-4", "signing", "2025-03-10T11:00:00Z"))
        counts = self._counts()
        status, response = self._post(event_body("A-4", "bank_refused", "2025-03-10T10:00:00Z"))
        self.assertEqual((status, response["result"]), (200, "outdated"))
        self.assertEqual(application.state, "signing")
        self.assertEqual(application.status_time.isoformat(), "2025-03-10T11:00:00")
        self.assertEqual(self._counts(), counts)
        self.assertEqual(self._last_event().result, "outdated")

    def test_event_older_than_a_manual_change_is_ignored(self):
        application = self._app("A-5")
        application.with_user(self.user_salesman).state = "buyer_refused"  # at 12:00
        self.assertEqual(self._post(event_body("A-5", "signing", "2025-03-10T11:55:00Z"))[1]["result"], "outdated")
        self.assertEqual(application.state, "buyer_refused")

    def test_same_status_again_changes_nothing(self):
        application = self._app("A-6")
        counts = self._counts()
        self.assertEqual(self._post(event_body("A-6", "not_sent", "2025-03-10T11:58:00Z"))[1]["result"], "unchanged")
        self.assertEqual(self._counts(), counts)
        self.assertEqual(application.state, "not_sent")

    def _assert_refused_unrecorded(self, body, headers, code="BANK_A", detail=None):
        """The call gets the one answer for every authentication failure; nothing is written, one log line."""
        events = self.Event.search_count([])
        refused = REFUSED_CALLS[401]
        with self.assertLogs("odoo.addons.broker_installments.models.broker_installment_event", logging.INFO) as logs:
            status, response = self._post(body, headers, code=code)
        self.assertEqual((status, response), (401, {"result": "rejected", "reason": "authentication failed"}))
        self.assertEqual(self.Event.search_count([]), events)
        self.assertEqual(REFUSED_CALLS[401], refused + 1)
        self.assertEqual(len(logs.records), 1)
        self.assertEqual(logs.records[0].levelno, logging.INFO)
        if detail:
            self.assertIn(detail, logs.output[0])

    def test_bad_credentials_are_refused_unrecorded_and_change_nothing(self):
        application = self._app("A-7")
        body = event_body("A-7", "approved", "2025-03-10T11:00:00Z")
        good = auth_headers(body)
        cases = [
            ("no token", {"X-Signature": good["X-Signature"]}, "missing bearer token"),
            ("wrong token", dict(good, Authorization="Bearer nope"), "invalid bearer token"),
            ("no signature", {"Authorization": f"Bearer {TOKEN}"}, "missing X-Signature header"),
            ("wrong signature", dict(good, **{"X-Signature": sign(body, "other-key")}), "invalid signature"),
            ("signature of another body", dict(good, **{"X-Signature": sign(body + b" ")}), "invalid signature"),
        ]
        counts = self._counts()
        for label, headers, detail in cases:
            with self.subTest(label):
                self._assert_refused_unrecorded(body, headers, detail=detail)
        self.assertEqual(application.state, "not_sent")
        self.assertEqual(self._counts(), counts)
        # the same event, properly signed, still goes through afterwards
        self.assertEqual(self._post(body)[1]["result"], "applied")
        self.assertEqual(application.state, "approved")

    def test_unknown_code_and_bad_auth_get_the_same_answer(self):
        body = event_body("B-1", "approved", "2025-03-10T11:00:00Z")
        # a provider without secret, an unknown code, an archived provider: all alike, nothing stored
        self._assert_refused_unrecorded(body, {}, code="BANK_B", detail="no secret is configured")
        self._assert_refused_unrecorded(body, auth_headers(body), code="NOPE", detail="unknown provider")
        self._assert_refused_unrecorded(body, {"Authorization": "Bearer nope"}, code="BANK_A")
        self.env["broker.installment.provider"].create(
            {"name": "Old Bank", "code": "OLD", "active": False, "webhook_token": TOKEN, "webhook_hmac_key": HMAC_KEY}
        )
        self._assert_refused_unrecorded(body, auth_headers(body), code="OLD", detail="unknown provider")

    def test_refused_calls_cannot_fill_the_database(self):
        # 4 KB bodies from anyone, many times: no row is added
        body = event_body("F-1", "approved", "2025-03-10T11:00:00Z", filler="x" * 4000)
        events = self.Event.search_count([])
        refused = REFUSED_CALLS[401]
        with self.assertLogs("odoo.addons.broker_installments", logging.INFO):
            for code in ("NOPE", "BANK_A", "BANK_B") * 10:
                self.assertEqual(self._post(body, {"Authorization": "Bearer guess"}, code=code)[0], 401)
        self.assertEqual(self.Event.search_count([]), events)
        self.assertEqual(REFUSED_CALLS[401], refused + 30)

    def test_too_large_body_is_refused_before_anything(self):
        body = event_body("F-2", "approved", "2025-03-10T11:00:00Z", filler="x" * MAX_BODY)
        events = self.Event.search_count([])
        with self.assertLogs("odoo.addons.broker_installments", logging.INFO):
            status, response = self._post(body)
        self.assertEqual((status, response["reason"]), (413, f"body larger than {MAX_BODY} bytes"))
        self.assertEqual(self.Event.search_count([]), events)

    def test_signed_timestamp(self):
        application = self._app("T-1")
        now = int(datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc).timestamp())
        body = event_body("T-1", "signing", "2025-03-10T11:00:00Z", amount=1000)
        # the timestamp is signed with the body: changing it breaks the signature
        headers = auth_headers(body, timestamp=now)
        self._assert_refused_unrecorded(body, dict(headers, **{"X-Timestamp": str(now + 1)}), detail="signature")
        # a signature of the body alone does not do with a timestamp header
        self._assert_refused_unrecorded(body, dict(auth_headers(body), **{"X-Timestamp": str(now)}))
        # at most 5 minutes away from the server's clock, both ways
        for moment in (now - 301, now + 301):
            self._assert_refused_unrecorded(body, auth_headers(body, timestamp=moment), detail="5 minutes")
        self._assert_refused_unrecorded(body, auth_headers(body, timestamp="12:00"), detail="Unix time")
        self.assertEqual(application.state, "not_sent")
        self.assertEqual(self._post(body, auth_headers(body, timestamp=now - 300))[1]["result"], "applied")
        self.assertEqual(application.state, "signing")

    def test_provider_may_require_the_signed_timestamp(self):
        self.provider.webhook_require_timestamp = True
        self._app("T-2")
        now = int(datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc).timestamp())
        body = event_body("T-2", "signing", "2025-03-10T11:00:00Z")
        self._assert_refused_unrecorded(body, auth_headers(body), detail="missing X-Timestamp")
        self.assertEqual(self._post(body, auth_headers(body, timestamp=now + 299))[1]["result"], "applied")
        # a recorded call replayed later than 5 minutes is refused before the idempotency check
        with freeze_time("2025-03-10 12:10:00"):
            self._assert_refused_unrecorded(body, auth_headers(body, timestamp=now + 299), detail="5 minutes")
        # a timestamp is only worth something when signed
        with self.assertRaises(ValidationError):
            self.provider_b.webhook_require_timestamp = True

    def test_late_same_status_event_keeps_the_newer_amount(self):
        application = self._app("A-9")
        self._post(event_body("A-9", "signing", "2025-03-10T11:00:00Z", amount=85000))
        self.assertEqual(
            self._post(event_body("A-9", "signing", "2025-03-10T11:30:00Z", amount=80000))[1]["result"], "unchanged"
        )
        self.assertEqual(application.amount, 80000)
        # the provider's earlier message, delivered late
        status, response = self._post(event_body("A-9", "signing", "2025-03-10T11:10:00Z", amount=85000))
        self.assertEqual((status, response["result"]), (200, "unchanged"))
        self.assertEqual(application.amount, 80000)
        self.assertEqual(application.amount_time.isoformat(), "2025-03-10T11:30:00")
        # a later status change with an older amount keeps the newer amount too
        self.assertEqual(
            self._post(event_body("A-9", "approved", "2025-03-10T11:20:00Z", amount=1))[1]["result"], "applied"
        )
        self.assertEqual((application.state, application.amount), ("approved", 80000))
        # a manual amount is newer than what the provider sent before
        application.with_user(self.user_salesman).amount = 70000
        self._post(event_body("A-9", "approved", "2025-03-10T11:50:00Z", amount=80000))
        self.assertEqual(application.amount, 70000)

    def test_malformed_bodies_get_400_with_a_reason(self):
        application = self._app("A-8")
        counts = self._counts()
        cases = {
            b"not json": "body is not valid JSON",
            b"[1, 2]": "body must be a JSON object",
            json.dumps({"status": "signing"}).encode(): "missing field(s): external_id, event_time",
            event_body("", "signing", "2025-03-10T11:00:00Z"): "external_id must be",
            event_body(12, "signing", "2025-03-10T11:00:00Z"): "external_id must be",
            event_body("A-8", "lost", "2025-03-10T11:00:00Z"): "status must be one of",
            event_body("A-8", "signing", "yesterday"): "event_time must be an ISO 8601",
            event_body("A-8", "signing", 1741600000): "event_time must be an ISO 8601 string",
            event_body("A-8", "signing", "2025-03-10T11:00:00"): "event_time must carry a time zone",
            event_body("A-8", "signing", "2025-03-11T11:00:00Z"): "event_time is in the future",
            event_body("A-8", "signing", "2025-03-10T11:00:00Z", amount="100"): "amount must be",
            event_body("A-8", "signing", "2025-03-10T11:00:00Z", amount=-1): "amount must be",
            event_body("A-8", "signing", "2025-03-10T11:00:00Z", order_ref=5): "order_ref must be",
        }
        for body, reason in cases.items():
            with self.subTest(body=body):
                status, response = self._post(body)
                self.assertEqual(status, 400)
                self.assertIn(reason, response["reason"])
                self.assertEqual(self._last_event().result, "rejected")
        self.assertEqual(self._counts(), counts)
        self.assertEqual(application.state, "not_sent")

    def test_unknown_application_or_order_is_rejected(self):
        counts = self._counts()
        status, response = self._post(event_body("Z-1", "signing", "2025-03-10T11:00:00Z"))
        self.assertEqual((status, response["reason"]), (422, "unknown application: send order_ref to open it"))
        status, response = self._post(event_body("Z-1", "signing", "2025-03-10T11:00:00Z", order_ref="S-NOPE"))
        self.assertEqual((status, response["reason"]), (422, "unknown order_ref"))
        self.assertEqual(self._counts(), counts)
        # not remembered as received: the same event is accepted once the order is known
        body = event_body("Z-1", "signing", "2025-03-10T11:00:00Z", order_ref=self.order.name)
        self.assertEqual(self._post(body)[1]["result"], "applied")

    def test_thousand_events_with_bounded_queries_each(self):
        # 250 applications, each taken through 3 statuses, plus a duplicate delivery: 1,000 calls
        self.env.ref("broker_installments.status_rule_not_sent").send_letter = False
        orders = self.env["sale.order"].create(
            [{"partner_id": self.customer.id, "user_id": self.user_salesman.id} for _i in range(250)]
        )
        self.env["broker.installment.application"].create(
            [
                {
                    "order_id": order.id,
                    "provider_id": self.provider.id,
                    "external_id": f"L-{i}",
                    "amount": 1000,
                    "status_time": "2025-03-10 09:00:00",
                }
                for i, order in enumerate(orders)
            ]
        )
        # letters are queued for the scheduled action, as a busy site would configure them
        self.env["broker.installment.status.rule"].search([]).letter_delay = 5
        # (status, event time, queries allowed): a status with a task and a queued letter, the same event
        # delivered twice, an end status that only closes the open task
        steps = [
            ("bank_refused", "2025-03-10T10:00:00Z", 45),
            ("signing", "2025-03-10T10:30:00Z", 45),
            ("signing", "2025-03-10T10:30:00Z", 8),
            ("approved", "2025-03-10T11:00:00Z", 25),
        ]
        calls = []
        for i in range(250):
            for state, at, queries in steps:
                body = event_body(f"L-{i}", state, at)
                calls.append((body, auth_headers(body), queries))
        self.assertEqual(len(calls), 1000)
        self.env.invalidate_all()
        results = []
        for body, headers, queries in calls:
            with self.assertQueryCount(queries):
                results.append(self._post(body, headers)[1]["result"])
        self.assertEqual(results.count("applied"), 750)
        self.assertEqual(results.count("duplicate"), 250)
        applications = self.env["broker.installment.application"].search([("external_id", "like", "L-")])
        self.assertEqual(set(applications.mapped("state")), {"approved"})
        self.assertEqual(
            self.env["broker.installment.task"].search_count([("application_id", "in", applications.ids)]), 750
        )
        self.assertEqual(
            self.env["broker.installment.letter"].search_count([("application_id", "in", applications.ids)]), 500
        )

    def _age(self, events, days=91):
        # create_date is set by the database clock
        self.env.cr.execute(
            "UPDATE broker_installment_event SET create_date = create_date - %s * interval '1 day' WHERE id IN %s",
            [days, tuple(events.ids)],
        )
        events.invalidate_recordset(["create_date"])

    def test_ignored_calls_are_purged_applied_ones_kept(self):
        self._app("G-1")
        body = event_body("G-1", "signing", "2025-03-10T11:00:00Z")
        self._post(event_body("G-1", "lost", "2025-03-10T11:00:00Z"))
        self._post(body)
        self._post(body)
        events = self.Event.search([], limit=3)
        self.assertEqual(events.mapped("result"), ["duplicate", "applied", "rejected"])
        self._age(events)
        self.Event._gc_ignored_events()
        self.assertEqual(events.exists().mapped("result"), ["applied"])
        # the body goes, the idempotency key stays
        self.assertFalse(events.exists().payload)
        self.assertTrue(events.exists().dedup_key)

    def test_replay_after_the_purge_is_still_a_duplicate(self):
        application = self._app("G-2")
        applied = event_body("G-2", "signing", "2025-03-10T11:00:00Z", amount=85000)
        unchanged = event_body("G-2", "signing", "2025-03-10T11:30:00Z", amount=80000)
        outdated = event_body("G-2", "bank_refused", "2025-03-10T10:00:00Z", amount=1)
        for body in (applied, unchanged, outdated):
            self._post(body)
        events = self.Event.search([("external_id", "=", "G-2")])
        self.assertEqual(events.mapped("result"), ["outdated", "unchanged", "applied"])
        self._age(events)
        self.Event._gc_ignored_events()
        self.assertEqual(len(events.exists()), 3)
        application.amount = 50000  # a manual correction since
        counts = self._counts()
        for body in (applied, unchanged, outdated):
            with self.subTest(body=body):
                self.assertEqual(self._post(body)[1]["result"], "duplicate")
        self.assertEqual((application.state, application.amount), ("signing", 50000))
        self.assertEqual(self._counts(), counts)
