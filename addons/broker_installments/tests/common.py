import hashlib
import hmac
import json

from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user

PAYMENT_URL = "https://pay.broker.example/options"
REVIEWS_URL = "https://broker.example/reviews"
CONTACTS = "+7 900 111-22-33, Telegram @broker_help"
TOKEN = "tok-3f9a"
HMAC_KEY = "hmac-key-7c21"

ACTIVITY_TYPES = {
    "not_sent": "broker_installments.activity_type_not_sent",
    "bank_refused": "broker_installments.activity_type_bank_refused",
    "signing": "broker_installments.activity_type_signing",
    "buyer_refused": "broker_installments.activity_type_buyer_refused",
}
TEMPLATES = {
    "not_sent": "broker_installments.mail_template_letter_1",
    "bank_refused": "broker_installments.mail_template_letter_2",
    "signing": "broker_installments.mail_template_letter_3",
    "buyer_refused": "broker_installments.mail_template_letter_4",
}


def sign(body, key=HMAC_KEY):
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def event_body(external_id, status, event_time, **extra):
    return json.dumps({"external_id": external_id, "status": status, "event_time": event_time, **extra}).encode()


def auth_headers(body, token=TOKEN, key=HMAC_KEY):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["X-Signature"] = sign(body, key)
    return headers


class InstallmentCommon(TransactionCase):
    """Salespeople, a sales manager, a provider with secrets and an order, shared by the tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {
                "installment_payment_url": PAYMENT_URL,
                "installment_reviews_url": REVIEWS_URL,
                "installment_contacts": CONTACTS,
                "email": "sales@broker.example",
            }
        )
        cls.user_salesman = mail_new_test_user(
            cls.env, login="inst_salesman", name="Sergey Salesman", email="salesman@broker.example",
            groups="sales_team.group_sale_salesman",
        )  # fmt: skip
        cls.user_salesman2 = mail_new_test_user(
            cls.env, login="inst_salesman2", name="Svetlana Salesman", email="salesman2@broker.example",
            groups="sales_team.group_sale_salesman",
        )  # fmt: skip
        cls.user_manager = mail_new_test_user(
            cls.env, login="inst_manager", name="Maria Manager", email="manager@broker.example",
            groups="sales_team.group_sale_manager",
        )  # fmt: skip
        cls.provider = cls.env["broker.installment.provider"].create(
            {"name": "Bank A", "code": "BANK_A", "webhook_token": TOKEN, "webhook_hmac_key": HMAC_KEY}
        )
        cls.provider_b = cls.env["broker.installment.provider"].create({"name": "Bank B", "code": "BANK_B"})
        cls.product = cls.env["product.product"].create(
            {"name": "Trading course", "type": "service", "list_price": 90000}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Ivan Petrov", "email": "ivan@customer.example"})

    @classmethod
    def _make_order(cls, user=None, partner=None, **vals):
        return cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.customer).id,
                "user_id": (user or cls.user_salesman).id,
                "order_line": [(0, 0, {"product_id": cls.product.id, "product_uom_qty": 1})],
                **vals,
            }
        )

    def _post(self, body, headers=None, code="BANK_A"):
        """Deliver a provider call the way the controller does: as superuser, which is the test env's user."""
        headers = auth_headers(body) if headers is None else headers
        return self.env["broker.installment.event"]._process_webhook(code, body, headers, "127.0.0.1")

    def _application(self, order=None, user=None, **vals):
        order = order or self._make_order()
        Application = self.env["broker.installment.application"].with_user(user or self.user_salesman)
        return Application.create({"order_id": order.id, "provider_id": self.provider.id, **vals})

    def _counts(self):
        """Number of rows of every table a status change writes to."""
        return {
            model: self.env[model].with_context(active_test=False).search_count([])
            for model in (
                "broker.installment.application",
                "broker.installment.task",
                "broker.installment.letter",
                "mail.activity",
                "mail.mail",
            )
        }
