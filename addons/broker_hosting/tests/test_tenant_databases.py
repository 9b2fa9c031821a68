import os
import zipfile

from psycopg2 import IntegrityError

import odoo
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import config, mute_logger

from odoo.addons.broker_hosting import hosting_db
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import HostingDatabaseCase


@tagged("post_install", "-at_install")
class TestTenantDatabases(HostingDatabaseCase):
    tag = "db"

    def test_provisioning_from_the_template_invites_the_administrator(self):
        users_before = self.env["res.users"].with_context(active_test=False).search_count([])
        tenant = self.new_tenant("a", seat_limit=3)
        self.provision(tenant)
        self.assertEqual(tenant.state, "active", tenant.failure_reason)
        self.assertLess(tenant.provision_seconds, 60)
        self.assertIn("broker_hosting_tenant", tenant.installed_modules)
        self.assertTrue(tenant.provisioned_date)
        # the firm's database: a copy of the template with its own identity
        params = dict(self.partner_sql(tenant.db_name, "SELECT key, value FROM ir_config_parameter"))
        template_params = dict(self.partner_sql_template("SELECT key, value FROM ir_config_parameter"))
        self.assertNotEqual(params["database.uuid"], template_params["database.uuid"])
        self.assertNotEqual(params["database.secret"], template_params["database.secret"])
        self.assertEqual(params["web.base.url"], f"http://{tenant.host_name}")
        self.assertEqual(params["broker_hosting.seat_limit"], "3")

        def firm(env):
            admin = env.ref("base.user_admin")
            return (
                env.ref("base.main_company").name,
                env.ref("base.main_company").currency_id.name,
                admin.login,
                admin.name,
                admin.lang,
                admin.partner_id.signup_type,  # set by Odoo's invitation (auth_signup)
                bool(admin.password),
                env["res.users"].search_count([("login", "=", "admin")]),
            )

        self.assertEqual(
            self.run_in_partner(tenant.db_name, firm),
            ("ООО «Ромашка Финанс»", "RUB", "admin@a.firm.example", "Ирина Админова", "ru_RU", "signup", False, 0),
        )
        # the firm's users live in the firm's database only
        self.assertEqual(self.env["res.users"].with_context(active_test=False).search_count([]), users_before)

    def test_failed_provisioning_is_cleaned_up_and_retried(self):
        tenant = self.new_tenant("f")
        # files left by someone else where the new database's file store goes
        stray = config.filestore(tenant.db_name)
        os.makedirs(stray)
        self.addCleanup(lambda: os.path.isdir(stray) and os.rmdir(stray))
        with self.assertLogs("odoo.addons.broker_hosting", "WARNING"):
            self.provision(tenant)
        self.assertEqual(tenant.state, "failed")
        self.assertIn("FileExistsError", tenant.failure_reason)
        self.assertFalse(hosting_db.database_exists(tenant.db_name), "no half-made database")
        self.assertTrue(os.path.isdir(stray), "what was not ours stays")
        os.rmdir(stray)
        self.provision(tenant)  # Retry
        self.assertEqual(tenant.state, "active", tenant.failure_reason)
        self.assertFalse(tenant.failure_reason)
        self.assertTrue(hosting_db.database_exists(tenant.db_name))

    def test_existing_database_is_never_taken_over(self):
        tenant = self.new_tenant("e")
        hosting_db.create_from_template(tenant.db_name, self.template)
        self.addCleanup(hosting_db.drop_database, tenant.db_name)
        with self.assertLogs("odoo.addons.broker_hosting", "WARNING"):
            self.provision(tenant)
        self.assertEqual(tenant.state, "failed")
        self.assertIn("already exists", tenant.failure_reason)
        self.assertTrue(hosting_db.database_exists(tenant.db_name), "somebody else's database is not dropped")

    def test_seats_counted_nightly_and_invoiced_once_a_month(self):
        tenant = self.provision(self.new_tenant("s", seat_limit=0))

        def add_users(env, *logins):
            users = env["res.users"].with_context(no_reset_password=True)
            for login in logins:
                users.create({"name": login, "login": login})
            portal = env.ref("base.group_portal")
            users.create({"name": "client", "login": f"client-{logins[0]}", "groups_id": [(6, 0, portal.ids)]})

        with freeze_time("2026-03-10 00:30:00"):
            self.assertEqual(self.env["broker.tenant"]._cron_count_seats(), 1)
        self.run_in_partner(tenant.db_name, lambda env: add_users(env, "anna", "boris"))
        with freeze_time("2026-03-11 00:30:00"):
            self.env["broker.tenant"]._cron_count_seats()
            self.env["broker.tenant"]._cron_count_seats()  # run twice: still one count that day
        self.run_in_partner(
            tenant.db_name, lambda env: env["res.users"].search([("login", "=", "boris")]).write({"active": False})
        )
        with freeze_time("2026-03-12 00:30:00"):
            self.env["broker.tenant"]._cron_count_seats()
        counts = [(str(count.date), count.count) for count in tenant.seat_count_ids.sorted("date")]
        self.assertEqual(counts, [("2026-03-10", 1), ("2026-03-11", 3), ("2026-03-12", 2)])

        with freeze_time("2026-04-01 03:00:00"):
            invoices = self.env["broker.tenant"]._cron_invoice_seats()
            again = self.env["broker.tenant"]._cron_invoice_seats()
        self.assertFalse(again, "once per month even if run twice")
        invoice = invoices.filtered(lambda move: move.broker_tenant_id == tenant)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id, self.firm)
        self.assertEqual(str(invoice.broker_hosting_period), "2026-03-01")
        self.assertEqual(invoice.invoice_line_ids.quantity, 3, "the month's peak")
        self.assertEqual(invoice.invoice_line_ids.price_unit, 1000)
        self.assertEqual(invoice.invoice_line_ids.product_id, self.product)
        self.assertEqual(tenant.invoice_count, 1)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            invoice.copy({"broker_tenant_id": tenant.id, "broker_hosting_period": invoice.broker_hosting_period})

    def test_seat_limit_enforced_in_the_partner_database(self):
        tenant = self.provision(self.new_tenant("l", seat_limit=2))

        def create_user(login):
            def create(env):
                env["res.users"].with_context(no_reset_password=True).create({"name": login, "login": login})

            return create

        self.run_in_partner(tenant.db_name, create_user("second"))  # the administrator is the first seat
        with self.assertRaisesRegex(UserError, "Эта база данных допускает 2 активных внутренних пользователей"):
            self.run_in_partner(tenant.db_name, create_user("third"), lang="ru_RU")
        self.assertFalse(self.partner_sql(tenant.db_name, "SELECT id FROM res_users WHERE login = 'third'"))
        tenant.seat_limit = 3  # written into the partner database at once
        self.run_in_partner(tenant.db_name, create_user("third"))
        self.assertEqual(hosting_db.count_seats(tenant.db_name), 3)

    def test_update_runs_one_job_per_database_and_one_failure_does_not_stop_the_others(self):
        good = self.provision(self.new_tenant("ua"))
        bad = self.provision(self.new_tenant("ub"))
        # the second firm's database does not accept connections (e.g. under maintenance)
        with hosting_db.maintenance_cursor() as cr:
            cr.execute(f'ALTER DATABASE "{bad.db_name}" WITH ALLOW_CONNECTIONS false')
        function = self.env["queue.job.function"].search([("name", "=", "<broker.tenant>._job_update")])
        self.assertEqual(function.channel, "root.broker_hosting.update")
        with trap_jobs() as trap:
            (good | bad).action_update_databases()
            trap.assert_jobs_count(2)
            for tenant in good | bad:
                trap.assert_enqueued_job(tenant._job_update, properties={"channel": "root.broker_hosting.update"})
            with self.assertLogs("odoo.addons.broker_hosting", "WARNING"):
                trap.perform_enqueued_jobs()
        self.assertEqual(bad.last_update_result, "failed")
        self.assertTrue(bad.last_update_log)
        self.assertEqual(good.last_update_result, "done", good.last_update_log)
        self.assertTrue(good.last_update_date)
        self.assertIn("broker_hosting_tenant 18.0.1.0.0", good.installed_modules)

    def test_backup_with_retention_and_restore_into_a_new_database(self):
        tenant = self.provision(self.new_tenant("b"))
        self.env["ir.config_parameter"].sudo().set_param("broker_hosting.backup_keep", "2")

        def add_document(env):
            env["ir.attachment"].create({"name": "contract.txt", "raw": b"signed contract"})

        self.run_in_partner(tenant.db_name, add_document)
        for day in ("2026-03-10", "2026-03-11", "2026-03-12"):
            with freeze_time(f"{day} 02:00:00"), trap_jobs() as trap:
                self.env["broker.tenant"]._cron_backup()
                trap.assert_enqueued_job(tenant._job_backup, properties={"channel": "root.broker_hosting"})
                trap.perform_enqueued_jobs()
        backups = tenant._backups()
        self.assertEqual([os.path.basename(path) for path in backups], [
            f"{tenant.db_name}_20260312_020000.zip", f"{tenant.db_name}_20260311_020000.zip"
        ])  # fmt: skip
        self.assertEqual(tenant.last_backup_file, backups[0])
        with zipfile.ZipFile(backups[0]) as archive:
            names = archive.namelist()
        self.assertIn("dump.sql", names)
        self.assertTrue(any(name.startswith("filestore/") for name in names))

        restored = f"{self.prefix}restored"
        self.addCleanup(hosting_db.drop_database, restored)
        wizard = (
            self.env["broker.tenant.restore.wizard"]
            .with_context(default_tenant_id=tenant.id)
            .create({"backup_file": backups[0], "new_db_name": restored})
        )
        with trap_jobs() as trap:
            wizard.action_restore()
            trap.perform_enqueued_jobs()
        self.assertTrue(hosting_db.database_exists(restored))
        uuid = "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'"
        self.assertNotEqual(self.partner_sql(restored, uuid), self.partner_sql(tenant.db_name, uuid))

        def document(env):
            return env["ir.attachment"].search([("name", "=", "contract.txt")]).raw

        self.assertEqual(self.run_in_partner(restored, document), b"signed contract")
        with self.assertRaises(UserError):
            tenant._restore(backups[0], restored)  # never over an existing database

    def partner_sql_template(self, query):
        hosting_db.unprotect_template(self.template)
        try:
            return self.partner_sql(self.template, query)
        finally:
            odoo.sql_db.close_db(self.template)
            hosting_db.protect_template(self.template)
