from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from .common import ACTIVITY_TYPES, PAYMENT_URL, TEMPLATES, InstallmentCommon

# A phrase only the Russian rendering of each letter has.
RUSSIAN_LETTER_PHRASES = {
    "not_sent": "Мы видим, что вы хотите оплатить заказ",
    "bank_refused": "Мы видим, что вам отказали в рассрочке",
    "signing": "Поздравляем",
    "buyer_refused": "Мы видим, что вы отказались от рассрочки",
}
RUSSIAN_TASK_PHRASES = {
    "not_sent": "есть ли у клиента сейчас доступ к компьютеру",
    "bank_refused": "более дешёвый продукт",
    "signing": "поздравьте с одобрением рассрочки",
    "buyer_refused": "выясните причину отказа",
}


@tagged("post_install", "-at_install")
class TestStatusFlowRussian(InstallmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(["broker_installments"], ["ru_RU"], overwrite=True)
        cls.customer.lang = "ru_RU"
        cls.user_salesman.lang = "ru_RU"

    def test_each_status_gives_its_task_and_its_russian_letter(self):
        for state in ("not_sent", "bank_refused", "signing", "buyer_refused"):
            with self.subTest(state=state):
                order = self._make_order()
                application = self._application(order)
                if state != "not_sent":
                    application.with_user(self.user_salesman).state = state

                task = application.task_ids.filtered(lambda t, state=state: t.outcome == "open")
                self.assertEqual(len(task), 1)
                self.assertEqual(task.state, state)
                self.assertEqual(task.activity_id.activity_type_id, self.env.ref(ACTIVITY_TYPES[state]))
                self.assertEqual(task.activity_id.user_id, self.user_salesman)
                self.assertEqual(task.activity_id.date_deadline, task.date_deadline)
                self.assertIn(RUSSIAN_TASK_PHRASES[state], str(task.activity_id.note))

                letter = application.letter_ids.filtered(lambda letter, state=state: letter.state == state)
                self.assertEqual(letter.template_id, self.env.ref(TEMPLATES[state]))
                self.assertEqual(letter.send_state, "sent")
                message = letter.message_id
                self.assertEqual((message.model, message.res_id), ("sale.order", order.id))
                self.assertIn(self.customer, message.partner_ids)
                self.assertEqual(message.author_id, self.user_salesman.partner_id)
                body = str(message.body)
                self.assertIn(RUSSIAN_LETTER_PHRASES[state], body)
                self.assertIn(order.name, body)
                self.assertIn(order.name, message.subject)
                if state == "signing":
                    self.assertIn("SMS", body)
                else:
                    self.assertIn(f'href="{PAYMENT_URL}"', body)
                if state in ("not_sent", "bank_refused"):
                    self.assertIn("VPN", body)
                    self.assertIn("страховка", body)
                    self.assertIn("доход", body)
                # the customer gets it by e-mail, queued for the mail queue
                self.assertTrue(self.env["mail.mail"].search([("mail_message_id", "=", message.id)]))


@tagged("post_install", "-at_install")
class TestStatusFlow(InstallmentCommon):
    def test_manual_change_keeps_history_and_supersedes_the_open_task(self):
        application = self._application()
        first_task = application.task_ids
        application.with_user(self.user_salesman).state = "signing"
        self.assertEqual(first_task.outcome, "superseded")
        self.assertFalse(first_task.activity_id.exists())
        tracked = application.sudo().message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "state")
        self.assertEqual(tracked.mapped("new_value_char"), ["Signing Documents"])

        application.with_user(self.user_salesman).state = "approved"
        self.assertEqual(application.task_ids.filtered(lambda t: t.state == "signing").outcome, "superseded")
        self.assertFalse(application.task_ids.filtered(lambda t: t.outcome == "open"))
        self.assertFalse(application.activity_ids)
        self.assertEqual(sorted(application.letter_ids.mapped("state")), ["not_sent", "signing"])

    def test_letter_is_never_sent_twice_for_the_same_application_and_status(self):
        application = self._application()
        application.state = "bank_refused"
        application.state = "not_sent"
        letters = application.letter_ids
        self.assertEqual(sorted(letters.mapped("state")), ["bank_refused", "not_sent"])
        sent = self.env["mail.message"].search(
            [("model", "=", "sale.order"), ("res_id", "=", application.order_id.id), ("message_type", "=", "comment")]
        )
        self.assertEqual(len(sent.filtered(lambda m: m.subject.startswith("Paying for order"))), 1)
        # re-entering the status still gives the manager a new call task
        self.assertEqual(application.task_ids.filtered(lambda t: t.outcome == "open").state, "not_sent")

    def test_letter_can_be_switched_off_per_status(self):
        self.env.ref("broker_installments.status_rule_not_sent").send_letter = False
        application = self._application()
        self.assertFalse(application.letter_ids)
        self.assertTrue(application.task_ids)

    def test_delayed_letter_goes_out_with_the_scheduled_action_once(self):
        self.env.ref("broker_installments.status_rule_bank_refused").letter_delay = 30
        with freeze_time("2025-03-10 10:00:00"):
            application = self._application()
            application.state = "bank_refused"
            letter = application.letter_ids.filtered(lambda letter: letter.state == "bank_refused")
            self.assertEqual(letter.send_state, "queued")
        Letter = self.env["broker.installment.letter"]
        with freeze_time("2025-03-10 10:20:00"):
            Letter._cron_send_due()
            self.assertEqual(letter.send_state, "queued")
        with freeze_time("2025-03-10 10:31:00"):
            Letter._cron_send_due()
            self.assertEqual(letter.send_state, "sent")
            message = letter.message_id
            Letter._cron_send_due()
            self.assertEqual(letter.message_id, message)

    def test_delayed_letter_is_skipped_when_the_status_is_over(self):
        self.env.ref("broker_installments.status_rule_signing").letter_delay = 60
        with freeze_time("2025-03-10 10:00:00"):
            application = self._application()
            application.state = "signing"
            application.state = "approved"
        with freeze_time("2025-03-10 11:30:00"):
            self.env["broker.installment.letter"]._cron_send_due()
        letter = application.letter_ids.filtered(lambda letter: letter.state == "signing")
        self.assertEqual(letter.send_state, "skipped")
        self.assertFalse(letter.message_id)

    def test_letter_that_cannot_go_out_does_not_block_the_status(self):
        # nobody to send it from: no e-mail on the salesperson nor on the company
        self.company.email = False
        self.user_salesman.email = False
        application = self._application()
        application.with_user(self.user_salesman).state = "bank_refused"
        self.assertEqual(application.state, "bank_refused")
        letter = application.letter_ids.filtered(lambda letter: letter.state == "bank_refused")
        self.assertEqual(letter.send_state, "failed")
        self.assertTrue(letter.failure_reason)
        self.assertFalse(letter.message_id)
        self.assertTrue(application.message_ids.filtered(lambda m: "could not be sent" in str(m.body)))
        self.assertEqual(application.task_ids.filtered(lambda t: t.outcome == "open").state, "bank_refused")

    def test_unknown_status_is_refused_and_nothing_written(self):
        application = self._application()
        with self.assertRaises(UserError):
            application.write({"state": "lost"})
        self.assertEqual(application.state, "not_sent")

    def test_application_links_order_customer_and_lead(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Course lead",
                "type": "opportunity",
                "partner_id": self.customer.id,
                "user_id": self.user_salesman.id,
            }
        )
        order = self._make_order(opportunity_id=lead.id)
        application = self._application(order)
        self.assertEqual(application.partner_id, self.customer)
        self.assertEqual(application.opportunity_id, lead)
        self.assertEqual(application.amount, order.amount_total)
        self.assertEqual(lead.with_user(self.user_salesman).installment_application_ids, application)
        self.assertEqual(order.installment_application_count, 1)
        # retry with another provider after a refusal: several applications per order
        application.state = "bank_refused"
        second = self._application(order, provider_id=self.provider_b.id)
        self.assertEqual(order.installment_application_ids, application | second)
        self.assertEqual(order.installment_application_count, 2)

    def test_views_open_for_a_salesperson(self):
        Application = self.env["broker.installment.application"].with_user(self.user_salesman)
        views = Application.get_views([(False, "kanban"), (False, "list"), (False, "form"), (False, "search")])
        self.assertEqual(set(views["views"]), {"kanban", "list", "form", "search"})
        self.assertIn("installment_application_ids", self.env["sale.order"].with_user(self.user_salesman).get_views(
            [(False, "form")])["views"]["form"]["arch"])  # fmt: skip
        self.assertIn("installment_application_ids", self.env["crm.lead"].with_user(self.user_salesman).get_views(
            [(False, "form")])["views"]["form"]["arch"])  # fmt: skip
        Task = self.env["broker.installment.task"].with_user(self.user_manager)
        self.assertEqual(set(Task.get_views([(False, "pivot"), (False, "graph")])["views"]), {"pivot", "graph"})
        settings = self.env["res.config.settings"].with_user(self.env.ref("base.user_admin")).get_views(
            [(False, "form")])["views"]["form"]["arch"]  # fmt: skip
        self.assertIn("installment_payment_url", settings)


@tagged("post_install", "-at_install")
class TestInstallmentAccess(InstallmentCommon):
    def test_salesperson_sees_own_orders_applications_manager_sees_all(self):
        mine = self._application(self._make_order(self.user_salesman))
        theirs = self._application(self._make_order(self.user_salesman2), user=self.user_salesman2)
        Application = self.env["broker.installment.application"]
        self.assertEqual(Application.with_user(self.user_salesman).search([]), mine)
        self.assertEqual(Application.with_user(self.user_salesman2).search([]), theirs)
        # the manager sees every application, the demo office's too
        self.assertEqual(Application.with_user(self.user_manager).search([]), Application.search([]))
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_salesman).read(["state"])
        Task = self.env["broker.installment.task"]
        self.assertEqual(Task.with_user(self.user_salesman).search([]), mine.task_ids)
        self.assertEqual(Task.with_user(self.user_manager).search([]), Task.search([]))

    def test_salesperson_archives_but_cannot_delete(self):
        application = self._application()
        with self.assertRaises(AccessError):
            application.with_user(self.user_salesman).unlink()
        with self.assertRaises(AccessError):
            application.with_user(self.user_manager).unlink()
        self.assertTrue(application.exists())
        application.with_user(self.user_salesman).action_archive()
        self.assertFalse(application.active)

    def test_secrets_and_call_log_are_restricted(self):
        provider = self.provider.with_user(self.user_manager)
        with self.assertRaises(AccessError):
            provider.read(["webhook_token"])
        with self.assertRaises(AccessError):
            provider.read(["webhook_hmac_key"])
        self.assertEqual(provider.read(["code"])[0]["code"], "BANK_A")
        with self.assertRaises(AccessError):
            self.env["broker.installment.event"].with_user(self.user_salesman).search([])
        self.env["broker.installment.event"].with_user(self.user_manager).search([])
