import os
import shutil
import tempfile

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase

from odoo.addons.broker_hosting import hosting_db
from odoo.addons.queue_job.tests.common import trap_jobs


class HostingDatabaseCase(TransactionCase):
    """Builds one small template per class (only broker_hosting_tenant and auth_signup) and
    drops every database the class creates, also on failure."""

    tag = "x"  # in the names of the class's databases

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prefix = f"bh{os.getpid()}{cls.tag}"
        cls.addClassCleanup(hosting_db.drop_databases, cls.prefix)
        cls.backup_dir = tempfile.mkdtemp(prefix="broker_hosting_backups_")
        cls.addClassCleanup(shutil.rmtree, cls.backup_dir, True)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("broker_hosting.template_modules", "broker_hosting_tenant,auth_signup")
        params.set_param("broker_hosting.template_db", f"{cls.prefix}tmpl")
        params.set_param("broker_hosting.backup_dir", cls.backup_dir)
        params.set_param("broker_hosting.url_scheme", "http")
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.template = cls.env["broker.tenant"]._ensure_template()
        cls.firm = cls.env["res.partner"].create({"name": "ООО «Ромашка Финанс»", "is_company": True, "lang": "ru_RU"})
        cls.product = cls.env["product.product"].create({"name": "Seat", "type": "service"})
        cls.plan = cls.env["broker.hosting.plan"].create(
            {"name": "Regional Partner", "price_per_seat": 1000, "product_id": cls.product.id}
        )

    def new_tenant(self, label, **vals):
        return self.env["broker.tenant"].create(
            {
                "partner_id": self.firm.id,
                "host_name": f"{self.prefix}{label}.partners.test",
                "plan_id": self.plan.id,
                "admin_email": f"admin@{label}.firm.example",
                "admin_name": "Ирина Админова",
                **vals,
            }
        )

    def provision(self, tenant):
        """The manager's "Create Database" button, then the queued job run synchronously."""
        self.addCleanup(hosting_db.drop_database, tenant.db_name)
        with trap_jobs() as trap:
            tenant.action_provision()
            trap.assert_jobs_count(1, only=tenant._job_provision)
            trap.assert_enqueued_job(tenant._job_provision, properties={"channel": "root.broker_hosting"})
            self.assertEqual(tenant.state, "provisioning")
            trap.perform_enqueued_jobs()
        return tenant

    @staticmethod
    def partner_env(db_name):
        """A registry of the partner database, as each request of the server has it."""
        registry = odoo.modules.registry.Registry(db_name)
        registry.check_signaling()
        return registry

    def partner_sql(self, db_name, query, params=None):
        with hosting_db.partner_cursor(db_name, readonly=True) as cr:
            cr.execute(query, params or [])
            return cr.fetchall()

    def run_in_partner(self, db_name, function, lang=None):
        registry = self.partner_env(db_name)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"lang": lang} if lang else {})
            return function(env)
