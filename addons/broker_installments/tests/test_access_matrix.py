from odoo.tests import HttpCase, JsonRpcException, tagged
from odoo.tools import mute_logger

from .common import HMAC_KEY, TOKEN, InstallmentCommon, auth_headers, new_portal_user

READ, WRITE, CREATE, UNLINK = "read", "write", "create", "unlink"
REFUSED = ("odoo.exceptions.AccessError", "odoo.http.SessionExpiredException")
SECRETS = ["webhook_token", "webhook_hmac_key", "webhook_require_timestamp"]


@tagged("post_install", "-at_install")
class TestAccessMatrix(InstallmentCommon, HttpCase):
    """Every role against every model of the addon, through JSON-RPC as the web client calls it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal = new_portal_user(cls.env, "inst_portal", "Pavel Portal")
        cls.order = cls._make_order()
        cls.order2 = cls._make_order(user=cls.user_salesman2)
        Application = cls.env["broker.installment.application"]
        cls.application = Application.create(
            {"order_id": cls.order.id, "provider_id": cls.provider.id, "external_id": "M-1"}
        )
        cls.application2 = Application.create(
            {"order_id": cls.order2.id, "provider_id": cls.provider.id, "external_id": "M-2"}
        )
        cls.task = cls.application.task_ids
        cls.letter = cls.application.letter_ids
        # an authenticated call with a bad body leaves a log record
        cls.env["broker.installment.event"]._process_webhook("BANK_A", b"[]", auth_headers(b"[]"))
        cls.event = cls.env["broker.installment.event"].search([], limit=1)
        cls.template = cls.env.ref("broker_installments.mail_template_letter_3")

    def _rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _allowed(self, model, method, *args, **kwargs):
        try:
            with mute_logger("odoo.http"):
                self._rpc(model, method, *args, **kwargs)
        except JsonRpcException as error:
            self.assertIn(str(error), REFUSED)
            return False
        return True

    def _login(self, user):
        self.authenticate(user.login if user else None, user.login if user else None)

    def test_matrix(self):
        self.assertTrue(self.task and self.letter and self.event)
        records = {
            "broker.installment.provider": self.provider,
            "broker.installment.status.rule": self.env.ref("broker_installments.status_rule_signing"),
            "broker.installment.application": self.application,
            "broker.installment.task": self.task,
            "broker.installment.letter": self.letter,
            "broker.installment.event": self.event,
        }
        writes = {
            "broker.installment.provider": {"name": "Renamed"},
            "broker.installment.status.rule": {"letter_delay": 7},
            "broker.installment.application": {"external_id": "M-1b"},
            "broker.installment.task": {"no_answer_count": 5},
            "broker.installment.letter": {"send_state": "skipped"},
            "broker.installment.event": {"reason": "edited"},
        }

        def creates(user):
            order = self.order2 if user == self.user_salesman2 else self.order
            login = user.login if user else "public"
            return {
                "broker.installment.provider": {"name": "New Bank", "code": f"NEW_{login}"},
                "broker.installment.status.rule": {"state": "cancelled"},
                "broker.installment.application": {"order_id": order.id, "provider_id": self.provider.id},
                "broker.installment.task": {"application_id": self.application.id, "state": "signing"},
                "broker.installment.letter": {
                    "application_id": self.application.id,
                    "state": "signing",
                    "template_id": self.template.id,
                    "scheduled_at": "2030-01-01 00:00:00",
                },
                "broker.installment.event": {"result": "rejected"},
            }

        config = {
            "broker.installment.provider": {READ},
            "broker.installment.status.rule": {READ},
            "broker.installment.task": {READ},
            "broker.installment.letter": {READ},
        }
        expected = {
            self.user_salesman: dict(config, **{"broker.installment.application": {READ, WRITE, CREATE}}),
            # the salesman's records are out of sight; an application on an own order may be created
            self.user_salesman2: {
                "broker.installment.provider": {READ},
                "broker.installment.status.rule": {READ},
                "broker.installment.application": {CREATE},
            },
            self.user_manager: {
                "broker.installment.provider": {READ, WRITE, CREATE},
                "broker.installment.status.rule": {READ, WRITE, CREATE},
                "broker.installment.application": {READ, WRITE, CREATE},
                "broker.installment.task": {READ},
                "broker.installment.letter": {READ},
                "broker.installment.event": {READ},
            },
            self.user_portal: {},
            None: {},
        }
        for user, rights in expected.items():
            self._login(user)
            create_vals = creates(user)
            for model, record in records.items():
                with self.subTest(user=user.login if user else "public", model=model):
                    got = set()
                    if self._allowed(model, "read", record.ids, ["display_name"]):
                        got.add(READ)
                    if self._allowed(model, "write", record.ids, writes[model]):
                        got.add(WRITE)
                    if self._allowed(model, "create", create_vals[model]):
                        got.add(CREATE)
                    if self._allowed(model, "unlink", record.ids):
                        got.add(UNLINK)
                    self.assertEqual(got, rights.get(model, set()))
                    self.assertTrue(record.exists())

    def test_provider_secrets_are_for_administrators_only(self):
        self.provider.webhook_require_timestamp = True
        for user in (self.user_manager, self.user_salesman):
            self._login(user)
            with self.subTest(user=user.login):
                values = self._rpc("broker.installment.provider", "read", self.provider.ids, [])[0]
                self.assertEqual(values["code"], "BANK_A")
                self.assertFalse(set(SECRETS) & set(values))
                self.assertFalse(set(SECRETS) & set(self._rpc("broker.installment.provider", "fields_get")))
                for field in SECRETS:
                    self.assertFalse(self._allowed("broker.installment.provider", "read", self.provider.ids, [field]))
                    self.assertFalse(
                        self._allowed("broker.installment.provider", "search_read", [(field, "=", TOKEN)], ["code"])
                    )
                self.assertFalse(
                    self._allowed("broker.installment.provider", "write", self.provider.ids, {"webhook_token": "x"})
                )
                response = self.url_open(f"/web/content/broker.installment.provider/{self.provider.id}/webhook_token")
                self.assertNotIn(TOKEN, response.text)
                self.assertNotEqual(response.status_code, 200)
        self.assertEqual(self.provider.sudo().webhook_hmac_key, HMAC_KEY)
        # the administrator sees and sets them
        admin = self.env.ref("base.user_admin")
        self._login(admin)
        values = self._rpc("broker.installment.provider", "read", self.provider.ids, SECRETS)[0]
        self.assertEqual((values["webhook_token"], values["webhook_require_timestamp"]), (TOKEN, True))

    def test_users_are_created_like_an_administrator_does(self):
        # the default user template makes every new user a Sales administrator: the role takes it back
        self.assertFalse(self.user_salesman.has_group("sales_team.group_sale_salesman_all_leads"))
        self.assertTrue(self.user_salesman.has_group("sales_team.group_sale_salesman"))
        self.assertTrue(self.user_manager.has_group("sales_team.group_sale_manager"))
        self.assertFalse(self.user_salesman.has_group("base.group_system"))
        self.assertTrue(self.user_portal.share)
        self.assertTrue(self.user_portal.has_group("base.group_portal"))

    def test_salesman_changes_tasks_only_through_the_application(self):
        self._login(self.user_salesman)
        self._rpc("broker.installment.application", "action_task_no_answer", self.application.ids)
        self.assertEqual(self.task.no_answer_count, 1)
        # not on another salesman's application
        self._login(self.user_salesman2)
        self.assertFalse(self._allowed("broker.installment.task", "action_success", self.task.ids))
        self.assertEqual(self.task.outcome, "open")
