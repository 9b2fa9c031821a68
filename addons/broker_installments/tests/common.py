import hashlib
import hmac
import json

from odoo.tests import TransactionCase

from odoo.addons.base.models.res_users import name_selection_groups

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


# the Sales selection of the user form, weakest first
SALES_GROUPS = {
    "salesman": "sales_team.group_sale_salesman",
    "all_leads": "sales_team.group_sale_salesman_all_leads",
    "manager": "sales_team.group_sale_manager",
}


def set_sales_role(user, role):
    """Set the user's Sales access like the Sales selection of the user form: one of SALES_GROUPS or None.

    The form writes its selection field, which drops the other groups of the selection (among them the
    Administrator level the default user template gives) and links the chosen one.
    """
    env = user.env
    field = name_selection_groups([env.ref(xmlid).id for xmlid in SALES_GROUPS.values()])
    assert env["res.users"].fields_get([field], ["type"]), "no Sales selection on the user form"
    user.write({field: env.ref(SALES_GROUPS[role]).id if role else False})
    return user


def new_sales_user(env, login, role, **vals):
    """Create an internal user as in Settings → Users (the default user template's groups), then set the role."""
    vals.setdefault("name", login)
    vals.setdefault("email", f"{login}@broker.example")
    user = env["res.users"].with_context(no_reset_password=True).create(dict(vals, login=login))
    return set_sales_role(user, role)


def new_portal_user(env, login, partner_name):
    """Give a customer contact portal access with Odoo's portal wizard, as an administrator does."""
    partner = env["res.partner"].create({"name": partner_name, "email": f"{login}@customer.example"})
    wizard = env["portal.wizard"].with_context(active_model="res.partner", active_ids=partner.ids).create({})
    wizard.user_ids.action_grant_access()
    user = partner.with_context(active_test=False).user_ids
    user.login = login
    return user


def sign(body, key=HMAC_KEY, timestamp=None):
    signed = f"{timestamp}.".encode() + body if timestamp is not None else body
    return "sha256=" + hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()


def event_body(external_id, status, event_time, **extra):
    return json.dumps({"external_id": external_id, "status": status, "event_time": event_time, **extra}).encode()


def auth_headers(body, token=TOKEN, key=HMAC_KEY, timestamp=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if timestamp is not None:
        headers["X-Timestamp"] = str(timestamp)
    if key:
        headers["X-Signature"] = sign(body, key, timestamp)
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
        cls.user_salesman = new_sales_user(
            cls.env, "inst_salesman", "salesman", name="Sergey Salesman", email="salesman@broker.example"
        )
        cls.user_salesman2 = new_sales_user(
            cls.env, "inst_salesman2", "salesman", name="Svetlana Salesman", email="salesman2@broker.example"
        )
        cls.user_manager = new_sales_user(
            cls.env, "inst_manager", "manager", name="Maria Manager", email="manager@broker.example"
        )
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
