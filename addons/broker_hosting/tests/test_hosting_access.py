from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.queue_job.tests.common import trap_jobs


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

    def test_users_created_by_the_administrator_see_nothing(self):
        """A user from Settings → Users (the default groups) and a portal user get AccessError."""
        tenant = self._create(self.manager, "romashka.crm.example.ru")
        internal = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create({"name": "Agent", "login": "hosting_agent", "email": "agent@broker.example"})
        )
        portal = mail_new_test_user(self.env, login="hosting_portal", name="Portal", groups="base.group_portal")
        for user in (internal, portal):
            with self.subTest(user=user.login):
                self.assertFalse(user.has_group("broker_hosting.group_hosting_manager"))
                for model in ("broker.tenant", "broker.hosting.plan", "broker.tenant.seat.count"):
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user).search_read([], ["id"])
                with self.assertRaises(AccessError):
                    tenant.with_user(user).read(["host_name"])
                with self.assertRaises(AccessError):
                    tenant.with_user(user).write({"seat_limit": 100})

    def test_dropping_a_database_is_an_access_error_for_managers(self):
        tenant = self._create(self.manager, "romashka.crm.example.ru")
        with self.assertRaises(AccessError):
            tenant.with_user(self.manager).action_drop_database()

    def test_managers_archive_and_only_administrators_delete(self):
        tenant = self._create(self.manager, "romashka.crm.example.ru")
        spare = self.env["broker.hosting.plan"].create(
            {"name": "Spare", "price_per_seat": 1, "product_id": self.product.id}
        )
        with self.assertRaises(UserError), self.env.cr.savepoint():
            tenant.with_user(self.manager).unlink()
        with self.assertRaises(UserError), self.env.cr.savepoint():
            spare.with_user(self.manager).unlink()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["broker.tenant.seat.count"].create(
                {"tenant_id": tenant.id, "date": "2026-03-01", "count": 1}
            ).with_user(self.manager).unlink()
        spare.with_user(self.manager).action_archive()
        self.assertFalse(spare.active)
        self.assertTrue(tenant.exists() and spare.exists())
        # a plan in use is never deleted, not even by an administrator
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.plan.unlink()
        self.assertTrue(self.plan.exists())
        # an administrator deletes a record that was never created on the server
        tenant.with_env(self.env).unlink()
        spare.unlink()
        self.assertFalse(tenant.exists() or spare.exists())

    def test_negative_seat_limit_is_refused(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self._create(self.manager, "romashka.crm.example.ru", seat_limit=-1)
        self.assertFalse(self.env["broker.tenant"].search([("host_name", "=", "romashka.crm.example.ru")]))
        tenant = self._create(self.manager, "romashka.crm.example.ru", seat_limit=3)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            tenant.with_user(self.manager).write({"seat_limit": -5})
        tenant.invalidate_recordset()
        self.assertEqual(tenant.seat_limit, 3)

    def test_restore_name_is_checked_before_anything_is_queued(self):
        tenant = self._create(self.manager, "romashka.crm.example.ru")
        backup = "/nonexistent/romashka/romashka_20260301_000000.zip"
        with patch.object(type(tenant), "_backups", lambda self: [backup]), trap_jobs() as trap:
            for name in ("Bad_Name", "-x", "postgres", ""):
                with self.subTest(name=name):
                    wizard = (
                        self.env["broker.tenant.restore.wizard"]
                        .with_user(self.manager)
                        .with_context(default_tenant_id=tenant.id)
                        .create({"backup_file": backup, "new_db_name": name or " "})
                    )
                    with self.assertRaises(UserError):
                        wizard.action_restore()
            trap.assert_jobs_count(0)
