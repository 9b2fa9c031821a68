from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from ..models.broker_installment_application import STATUS_CODES
from .common import ACTIVITY_TYPES, TEMPLATES, new_sales_user

DEMO = "broker_installments.installment_application_demo_"
# the tasks each demo application went through, oldest first: (status, outcome)
TASKS = {
    "not_sent": [("not_sent", "open")],
    "bank_refused": [("not_sent", "success"), ("bank_refused", "open")],
    "signing": [("not_sent", "superseded"), ("signing", "open")],
    "buyer_refused": [("not_sent", "success"), ("signing", "refused"), ("buyer_refused", "open")],
    "approved": [("not_sent", "superseded"), ("signing", "success")],
    "cancelled": [("not_sent", "refused")],
}
# the provider calls of the demo payment service: (external id, status, result), in the order received
EVENTS = [
    ("CH-77120", "bank_refused", "applied"),
    ("CH-77135", "signing", "applied"),
    ("CH-77098", "signing", "applied"),
    ("CH-77098", "buyer_refused", "applied"),
    ("CH-77051", "signing", "applied"),
    ("CH-77051", "approved", "applied"),
    ("CH-77051", "approved", "duplicate"),
]


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo office: an application in each status, brought there by the real status code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.applications = {state: cls.env.ref(DEMO + state, raise_if_not_found=False) for state in STATUS_CODES}
        cls.parts = cls.env.ref("broker_installments.installment_provider_demo_parts", raise_if_not_found=False)

    def setUp(self):
        super().setUp()
        if not (all(self.applications.values()) and self.parts):
            self.skipTest("the database was installed without demo data")
        self.now = fields.Datetime.now()

    def test_an_application_in_every_status(self):
        for state, application in self.applications.items():
            self.assertEqual(application.state, state)
            self.assertEqual(application.user_id, self.env.ref("base.user_admin"))
            self.assertEqual(application.partner_id.lang, "ru_RU")
            # amounts in the company's currency (roubles in the office)
            self.assertEqual(application.currency_id, self.env.company.currency_id)
            self.assertGreater(application.amount, 0)
            self.assertEqual(application.amount, application.order_id.amount_total)
        self.assertEqual(len({app.partner_id for app in self.applications.values()}), len(STATUS_CODES))
        self.assertEqual(self.applications["approved"].order_id.state, "sale")
        # the customer applies for the price of the course itself
        self.assertEqual(self.applications["not_sent"].amount, 34900)

    def test_tasks_follow_the_status_rules(self):
        admin = self.env.ref("base.user_admin")
        for state, expected in TASKS.items():
            application = self.applications[state]
            tasks = application.task_ids.sorted("id")
            self.assertEqual([(t.state, t.outcome) for t in tasks], expected, state)
            for task in tasks:
                self.assertEqual(task.activity_type_id, self.env.ref(ACTIVITY_TYPES[task.state]))
                self.assertEqual(task.user_id, admin)
                if task.outcome == "open":
                    self.assertFalse(task.date_done)
                    self.assertEqual(task.activity_id.res_id, application.id)
                    self.assertEqual(task.activity_id.user_id, admin)
                else:
                    self.assertTrue(task.date_done)
                    self.assertFalse(task.activity_id.exists())
            # the status' task is the open one; approved and cancelled ask for no call
            self.assertEqual(application.open_task_id.state or False, state if state in ACTIVITY_TYPES else False)
        # the customer did not answer yesterday's first call: she is called again
        not_sent = self.applications["not_sent"].task_ids
        self.assertEqual(not_sent.no_answer_count, 1)
        self.assertGreater(not_sent.activity_id.date_deadline, fields.Date.context_today(not_sent))
        # two calls without answer closed these tasks as refusals
        for task in (self.applications["cancelled"].task_ids, self.applications["buyer_refused"].task_ids[1]):
            self.assertEqual((task.outcome, task.no_answer_count), ("refused", 2))

    def test_letters_sent_for_every_status_entered(self):
        for state, expected in TASKS.items():
            application = self.applications[state]
            letters = application.letter_ids.sorted("id")
            entered = [task_state for task_state, _outcome in expected]
            self.assertEqual(letters.mapped("state"), entered, state)
            for letter in letters:
                self.assertEqual(letter.template_id, self.env.ref(TEMPLATES[letter.state]))
                self.assertEqual(letter.send_state, "sent")
                self.assertEqual(
                    (letter.message_id.model, letter.message_id.res_id), ("sale.order", letter.order_id.id)
                )
        # written in Russian, with the office's links and contacts
        body = str(self.applications["not_sent"].letter_ids.message_id.body)
        self.assertIn("Здравствуйте", body)
        self.assertIn("Анна Смирнова", body)
        self.assertIn(self.env.company.installment_payment_url, body)
        self.assertIn(self.env.company.installment_contacts, body)

    def test_provider_calls_and_dates_are_relative(self):
        events = self.env["broker.installment.event"].search([("provider_id", "=", self.parts.id)], order="id")
        self.assertEqual([(e.external_id, e.status, e.result) for e in events], EVENTS)
        self.assertFalse(events.filtered(lambda e: e.result == "applied" and not e.application_id))
        # the newest call came within the last days, the oldest within the last two weeks, none in the future
        self.assertLessEqual(max(events.mapped("event_time")), self.now)
        self.assertGreater(max(events.mapped("event_time")), self.now - timedelta(days=2))
        self.assertGreater(min(events.mapped("event_time")), self.now - timedelta(days=14))
        for state, application in self.applications.items():
            self.assertLessEqual(application.status_time, self.now, state)
            self.assertGreater(application.status_time, self.now - timedelta(days=14), state)
            self.assertGreater(application.order_id.date_order, self.now - timedelta(days=14), state)
        # the provider's event time is the status time
        signing = self.applications["signing"]
        self.assertEqual(signing.status_time, signing.event_ids.event_time)
        self.assertGreater(signing.status_time, self.now - timedelta(days=2))

    def test_salesman_sees_only_the_applications_of_own_orders(self):
        salesman = new_sales_user(self.env, "demo_inst_salesman", "salesman")
        manager = new_sales_user(self.env, "demo_inst_manager", "manager")
        demo = self.env["broker.installment.application"].browse([app.id for app in self.applications.values()])
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env.ref("broker_installments.res_partner_demo_smirnova").id,
                "user_id": salesman.id,
                "order_line": [
                    (0, 0, {"product_id": self.env.ref("broker_installments.product_demo_course_broker").id})
                ],
            }
        )
        own = (
            self.env["broker.installment.application"]
            .with_user(salesman)
            .create({"order_id": order.id, "provider_id": self.parts.id})
        )
        Application = self.env["broker.installment.application"].with_user(salesman)
        unassigned = self.env["broker.installment.application"].search([("user_id", "=", False)])
        self.assertEqual(Application.search([]), own | unassigned)
        self.assertEqual(self.env["broker.installment.task"].with_user(salesman).search([]).application_id, own)
        self.assertEqual(self.env["broker.installment.letter"].with_user(salesman).search([]).application_id, own)
        with self.assertRaises(AccessError):
            demo.with_user(salesman).check_access("read")
        with self.assertRaises(AccessError):
            demo[0].with_user(salesman).write({"state": "cancelled"})
        # the sales manager sees the whole office
        self.assertEqual(
            self.env["broker.installment.application"].with_user(manager).search([("id", "in", demo.ids)]), demo
        )
