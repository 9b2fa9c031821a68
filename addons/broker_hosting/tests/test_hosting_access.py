from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestHostingAccess(TransactionCase):
    """Only hosting managers see partner databases, plans and seats; input is validated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = mail_new_test_user(
            cls.env, login="hosting_manager", name="Hosting Manager", groups="broker_hosting.group_hosting_manager"
        )
        cls.employee = mail_new_test_user(cls.env, login="hosting_employee", name="Employee", groups="base.group_user")
        cls.accountant = mail_new_test_user(
            cls.env, login="hosting_accountant", name="Accountant", groups="account.group_account_manager"
        )
        cls.firm = cls.env["res.partner"].create({"name": "Firm", "is_company": True})
        cls.product = cls.env["product.product"].create({"name": "Seat", "type": "service"})
        cls.plan = cls.env["broker.hosting.plan"].create(
            {"name": "Partner", "price_per_seat": 2000, "product_id": cls.product.id}
        )

    def _create(self, user, host, **vals):
        return (
            self.env["broker.tenant"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.firm.id,
                    "host_name": host,
                    "plan_id": self.plan.id,
                    "admin_email": "admin@firm.example",
                    **vals,
                }
            )
        )

    def test_manager_creates_a_partner_database(self):
        tenant = self._create(self.manager, "Romashka.crm.example.ru")
        self.assertEqual(tenant.host_name, "romashka.crm.example.ru")
        self.assertEqual(tenant.db_name, "romashka")
        self.assertEqual(tenant.state, "new")
        self.assertIn(tenant, self.env["broker.tenant"].with_user(self.manager).search([]))
        self.assertTrue(self.env.ref("base.user_admin").has_group("broker_hosting.group_hosting_manager"))

    def test_other_users_see_nothing(self):
        tenant = self._create(self.manager, "romashka.crm.example.ru")
        for user in (self.employee, self.accountant):
            with self.subTest(user=user.login):
                for model in ("broker.tenant", "broker.hosting.plan", "broker.tenant.seat.count"):
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user).search([])
                with self.assertRaises(AccessError):
                    tenant.with_user(user).read(["host_name"])
                menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
                self.assertNotIn(self.env.ref("broker_hosting.menu_broker_hosting_root").id, menus)
        menus = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertIn(self.env.ref("broker_hosting.menu_broker_tenant").id, menus)

    def test_host_name_is_validated(self):
        for host in ("bad_name.example.ru", "-x.example.ru", "x-.example.ru", "a..b", "www.example.ru", "postgres.x"):
            with self.subTest(host=host), self.assertRaises(ValidationError), self.env.cr.savepoint():
                self._create(self.manager, host)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self._create(self.manager, f"{self.env.cr.dbname.replace('_', '-')}.x", admin_email="not an e-mail")
        self._create(self.manager, "romashka.crm.example.ru")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self._create(self.manager, "romashka.other.example.ru")  # same database name

    def test_only_new_or_failed_databases_are_created_and_only_administrators_drop(self):
        tenant = self._create(self.manager, "romashka.crm.example.ru")
        with self.assertRaises(UserError):
            tenant.with_user(self.manager).action_resume()
        with self.assertRaises(UserError):
            tenant.with_user(self.manager).action_drop_database()
        with self.assertRaises(UserError):
            tenant.with_user(self.manager).action_suspend()
