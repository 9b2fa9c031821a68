import threading
from concurrent.futures import ThreadPoolExecutor

import odoo
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .common import HMAC_KEY, TOKEN, auth_headers, event_body


@tagged("post_install", "-at_install")
class TestConcurrentDelivery(BaseCase):
    """Two workers receive the same provider event at the same time, each in its own committed transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            provider = env["broker.installment.provider"].create(
                {"name": "Race Bank", "code": "RACE_BANK", "webhook_token": TOKEN, "webhook_hmac_key": HMAC_KEY}
            )
            partner = env["res.partner"].create({"name": "Race Customer", "email": "race@customer.example"})
            order = env["sale.order"].create({"partner_id": partner.id})
            application = env["broker.installment.application"].create(
                {"order_id": order.id, "provider_id": provider.id, "external_id": "R-1", "status_time": "2020-01-01"}
            )
            cls.ids = {"provider": provider.id, "partner": partner.id, "order": order.id, "application": application.id}
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"active_test": False})
            application = env["broker.installment.application"].browse(cls.ids["application"])
            order = env["sale.order"].browse(cls.ids["order"])
            messages = (
                env["mail.message"]
                .search(
                    [("model", "in", ("sale.order", application._name)), ("res_id", "in", (order.id, application.id))]
                )
                .filtered(
                    lambda m: (m.model, m.res_id) in (("sale.order", order.id), (application._name, application.id))
                )
            )
            env["mail.mail"].search([("mail_message_id", "in", messages.ids)]).unlink()
            env["broker.installment.event"].search([("provider_id", "=", cls.ids["provider"])]).unlink()
            application.activity_ids.unlink()
            # deleting the records deletes their messages, tasks and letters
            application.unlink()
            order.unlink()
            env["res.partner"].browse(cls.ids["partner"]).unlink()
            env["broker.installment.provider"].browse(cls.ids["provider"]).unlink()

    def test_same_event_from_two_cursors_has_one_effect(self):
        body = event_body("R-1", "bank_refused", "2020-01-02T10:00:00Z")
        headers = auth_headers(body)
        barrier = threading.Barrier(2)

        def deliver():
            with self.registry.cursor() as cr:
                # the test runner holds the registry lock: give the transaction its registry directly
                cr.transaction = odoo.api.Transaction(self.registry)
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                barrier.wait(timeout=10)
                return env["broker.installment.event"]._process_webhook("RACE_BANK", body, headers)[1]["result"]

        with ThreadPoolExecutor(max_workers=2) as executor:
            futures = [executor.submit(deliver) for _i in range(2)]
            results = sorted(future.result(timeout=30) for future in futures)

        self.assertEqual(results, ["applied", "duplicate"])
        with self.registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            application = env["broker.installment.application"].browse(self.ids["application"])
            self.assertEqual(application.state, "bank_refused")
            self.assertEqual(len(application.task_ids.filtered(lambda t: t.state == "bank_refused")), 1)
            self.assertEqual(len(application.letter_ids.filtered(lambda letter: letter.state == "bank_refused")), 1)
            self.assertEqual(len(application.activity_ids), 1)
            events = env["broker.installment.event"].search([("provider_id", "=", self.ids["provider"])])
            self.assertEqual(sorted(events.mapped("result")), ["applied", "duplicate"])
