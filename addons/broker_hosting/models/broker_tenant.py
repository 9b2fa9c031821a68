import hashlib
import logging
import os
import re
import time
from datetime import timedelta

import psycopg2
from psycopg2 import sql

import odoo
from odoo import SUPERUSER_ID, api, fields, models, release
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import get_manifest
from odoo.tools import config, email_normalize, format_date

from odoo.addons.queue_job.job import identity_exact

from .. import hosting_db

_logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE_MODULES = (
    "broker_hosting_tenant,auth_signup,broker_crm,broker_service,broker_installments,broker_monitoring"
)
HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_RE = re.compile(rf"^{HOST_LABEL}(?:\.{HOST_LABEL})*$")
RESERVED_DB_NAMES = {"postgres", "template0", "template1", "www"}


class BrokerTenant(models.Model):
    _name = "broker.tenant"
    _description = "Partner Database"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "host_name"
    _rec_name = "host_name"

    partner_id = fields.Many2one(
        "res.partner",
        string="Partner Firm",
        required=True,
        tracking=True,
        index=True,
        help="The firm that works in this database and receives the monthly invoice.",
    )
    host_name = fields.Char(
        required=True,
        tracking=True,
        help="The firm's address, e.g. romashka.crm.example.ru: lowercase letters, digits and hyphens, labels "
        "separated by dots. The server picks the database by the first label (dbfilter ^%d$).",
    )
    db_name = fields.Char(
        string="Database",
        compute="_compute_db_name",
        store=True,
        help="The PostgreSQL database: the first label of the host name.",
    )
    plan_id = fields.Many2one("broker.hosting.plan", required=True, tracking=True, ondelete="restrict")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    seat_limit = fields.Integer(
        default=5,
        tracking=True,
        help="Active internal users allowed in the partner's database (0: no limit). Written into that database "
        "and enforced there; invoices count the seats actually used.",
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("provisioning", "Provisioning"),
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("archived", "Archived"),
            ("failed", "Failed"),
        ],
        default="new",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    failure_reason = fields.Text(readonly=True, copy=False)
    admin_email = fields.Char(
        string="Administrator E-mail",
        required=True,
        tracking=True,
        help="The firm's administrator: the login of the database's administrator, who receives the "
        "invitation to set a password.",
    )
    admin_name = fields.Char(string="Administrator Name")
    suspend_reason = fields.Char(
        string="Suspension Reason", tracking=True, help="Shown to the firm's users on the login page while suspended."
    )
    installed_modules = fields.Text(string="Installed Addons", readonly=True, copy=False)
    code_version = fields.Char(readonly=True, copy=False, help="Version of the template the database was made from.")
    provisioned_date = fields.Datetime(string="Created On", readonly=True, copy=False)
    provision_seconds = fields.Float(string="Creation Time (s)", readonly=True, copy=False, digits=(16, 1))
    suspended_date = fields.Datetime(readonly=True, copy=False)
    archived_date = fields.Datetime(readonly=True, copy=False)
    db_dropped = fields.Boolean(string="Database Dropped", readonly=True, copy=False)
    last_update_date = fields.Datetime(readonly=True, copy=False)
    last_update_result = fields.Selection(
        [("done", "Updated"), ("failed", "Failed")], string="Last Update", readonly=True, copy=False
    )
    last_update_log = fields.Text(readonly=True, copy=False)
    last_backup_date = fields.Datetime(readonly=True, copy=False)
    last_backup_file = fields.Char(readonly=True, copy=False)
    seat_count_ids = fields.One2many("broker.tenant.seat.count", "tenant_id", string="Seat Counts")
    current_seats = fields.Integer(compute="_compute_current_seats", string="Seats (last count)")
    invoice_ids = fields.One2many("account.move", "broker_tenant_id", string="Invoices")
    invoice_count = fields.Integer(compute="_compute_invoice_count")

    _sql_constraints = [
        ("host_name_unique", "UNIQUE(host_name)", "Another partner database already uses this host name."),
        ("db_name_unique", "UNIQUE(db_name)", "Another partner database already uses this database name."),
        ("seat_limit_positive", "CHECK(seat_limit >= 0)", "The seat limit cannot be negative."),
    ]

    # ------------------------------------------------------------------ fields
    @api.depends("host_name")
    def _compute_db_name(self):
        for tenant in self:
            tenant.db_name = (tenant.host_name or "").strip().lower().split(".")[0] or False

    def _compute_current_seats(self):
        # one query for the latest count of each firm, not every count ever taken (list view);
        # only hosting managers read tenants, and they read seat counts too (ACL)
        latest = {}
        if self.ids:
            self.env["broker.tenant.seat.count"].flush_model(["tenant_id", "date", "count"])
            self.env.cr.execute(
                """SELECT DISTINCT ON (tenant_id) tenant_id, count FROM broker_tenant_seat_count
                   WHERE tenant_id IN %s ORDER BY tenant_id, date DESC""",
                [tuple(self.ids)],
            )
            latest = dict(self.env.cr.fetchall())
        for tenant in self:
            tenant.current_seats = latest.get(tenant.id, 0)

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("broker_tenant_id", "in", self.ids)], ["broker_tenant_id"], ["__count"]
            )
        )
        for tenant in self:
            tenant.invoice_count = counts.get(tenant, 0)

    @api.constrains("host_name")
    def _check_host_name(self):
        for tenant in self:
            host = tenant.host_name or ""
            if not HOST_RE.match(host) or len(host) > 253:
                raise ValidationError(
                    self.env._(
                        "The host name %(host)s is not valid: use lowercase latin letters, digits and hyphens, "
                        "labels separated by dots, no hyphen at the start or end of a label.",
                        host=host,
                    )
                )
            if tenant.db_name in RESERVED_DB_NAMES or tenant.db_name == self.env.cr.dbname:
                raise ValidationError(
                    self.env._(
                        "The first label of the host name, %(name)s, is reserved: choose another one.",
                        name=tenant.db_name,
                    )
                )

    @api.constrains("seat_limit")
    def _check_seat_limit(self):
        # a clear message before the SQL check (and before the limit is written into the firm's database)
        if self.filtered(lambda tenant: tenant.seat_limit < 0):
            self._raise_negative_seat_limit()

    def _raise_negative_seat_limit(self):
        raise ValidationError(self.env._("The seat limit cannot be negative (0: no limit)."))

    @api.constrains("admin_email")
    def _check_admin_email(self):
        for tenant in self:
            if not email_normalize(tenant.admin_email or ""):
                raise ValidationError(self.env._("%(email)s is not a valid e-mail address.", email=tenant.admin_email))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("host_name"):
                vals["host_name"] = vals["host_name"].strip().lower()
            if (vals.get("seat_limit") or 0) < 0:  # before the row is inserted (and its SQL check fails)
                self._raise_negative_seat_limit()
        return super().create(vals_list)

    def write(self, vals):
        if "host_name" in vals:
            if self.filtered(lambda tenant: tenant.state not in ("new", "failed")):
                raise UserError(self.env._("The host name of a created partner database cannot be changed."))
            vals["host_name"] = (vals["host_name"] or "").strip().lower()
        result = super().write(vals)
        if "seat_limit" in vals:
            for tenant in self.filtered(lambda tenant: tenant.state in ("active", "suspended")):
                hosting_db.write_parameters(tenant.db_name, {hosting_db.SEAT_LIMIT_KEY: tenant.seat_limit})
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_administrator(self):
        if not (self.env.su or self.env.user._is_admin()):
            raise UserError(
                self.env._("Only administrators delete partner databases' records: archive the database instead.")
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_existing_database(self):
        if self.filtered(lambda tenant: tenant.state not in ("new", "failed") and not tenant.db_dropped):
            raise UserError(
                self.env._("A partner database that exists cannot be deleted: archive it and drop its database first.")
            )

    # ------------------------------------------------------------------ settings
    def _param(self, key, default):
        # sudo: hosting settings (system parameters) read by hosting managers' actions and jobs
        return self.env["ir.config_parameter"].sudo().get_param(key) or default

    @api.model
    def _template_modules(self):
        value = self._param("broker_hosting.template_modules", DEFAULT_TEMPLATE_MODULES)
        return [name.strip() for name in value.split(",") if name.strip()]

    @api.model
    def _code_version(self):
        """Odoo's version and the versions of the template's addons, as a short key."""
        modules = self._template_modules()
        versions = ",".join(f"{name}={(get_manifest(name) or {}).get('version', '?')}" for name in sorted(modules))
        return hashlib.sha1(f"{release.version}|{versions}".encode()).hexdigest()[:10]

    @api.model
    def _template_name(self):
        return self._param("broker_hosting.template_db", f"broker_tenant_template_{self._code_version()}")

    def _base_url(self):
        self.ensure_one()
        return f"{self._param('broker_hosting.url_scheme', 'https')}://{self.host_name}"

    # ------------------------------------------------------------------ template
    @api.model
    def _ensure_template(self):
        """The template database of the current code version, built once."""
        name = self._template_name()
        if hosting_db.database_exists(name):
            return name
        # one build at a time, whichever worker runs it
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [int(hashlib.sha1(name.encode()).hexdigest()[:15], 16)])
        if hosting_db.database_exists(name):
            return name
        building = f"{name}_building"
        hosting_db.drop_database(building)
        modules = self._template_modules()
        started = time.monotonic()
        code, log = hosting_db.run_odoo(
            self.env,
            "-d", building,
            "-i", ",".join(modules),
            "--load-language", "ru_RU",
            "--without-demo", "all",
            "--stop-after-init",
        )  # fmt: skip
        if code != 0 or not hosting_db.database_exists(building):
            hosting_db.drop_database(building)
            raise UserError(self.env._("Building the template database %(name)s failed:\n%(log)s", name=name, log=log))
        try:
            self._prepare_template(building)
            hosting_db.rename_database(building, name)
        except Exception:
            hosting_db.drop_database(building)
            raise
        hosting_db.protect_template(name)
        _logger.info("Template database %s built in %.1fs", name, time.monotonic() - started)
        return name

    @api.model
    def _prepare_template(self, name):
        """Roubles, Russia and Russian for the template's company and administrator; the
        administrator has no password until a firm's administrator sets one."""
        registry = odoo.modules.registry.Registry.new(name)
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                rub, russia = env.ref("base.RUB"), env.ref("base.ru")
                rub.active = True
                env.ref("base.main_company").write({"currency_id": rub.id, "country_id": russia.id})
                env.ref("base.user_admin").write({"lang": "ru_RU", "tz": "Europe/Moscow"})
                cr.execute("UPDATE res_users SET password = NULL WHERE id = %s", [env.ref("base.user_admin").id])
        finally:
            odoo.modules.registry.Registry.delete(name)
            odoo.sql_db.close_db(name)

    # ------------------------------------------------------------------ provisioning
    def action_provision(self):
        tenants = self.filtered(lambda tenant: tenant.state in ("new", "failed"))
        if not tenants:
            raise UserError(self.env._("Only new partner databases or failed ones can be created."))
        tenants.write({"state": "provisioning", "failure_reason": False})
        for tenant in tenants:
            tenant.with_delay(
                channel="root.broker_hosting",
                description=self.env._("Create the database of %(host)s", host=tenant.host_name),
                identity_key=identity_exact,
                max_retries=1,
            )._job_provision()
        return True

    def _job_provision(self):
        """Clone the template into the firm's database; on any failure drop what was made."""
        self.ensure_one()
        self.flush_recordset(["state"])
        self.env.cr.execute("SELECT state FROM broker_tenant WHERE id = %s FOR UPDATE", [self.id])
        if self.env.cr.fetchone()[0] != "provisioning":
            return "nothing to do"
        started = time.monotonic()
        created = files = False
        try:
            with self.env.cr.savepoint():
                template = self._ensure_template()
                if hosting_db.database_exists(self.db_name):
                    raise UserError(
                        self.env._("A database named %(name)s already exists on the server.", name=self.db_name)
                    )
                hosting_db.create_from_template(self.db_name, template)
                created = True
                hosting_db.copy_filestore(template, self.db_name)
                files = True
                self._setup_partner_database()
                hosting_db.write_parameters(
                    self.db_name,
                    {
                        hosting_db.SEAT_LIMIT_KEY: self.seat_limit,
                        hosting_db.SUSPENDED_KEY: None,
                        hosting_db.SUSPENDED_REASON_KEY: None,
                    },
                )
                modules = hosting_db.installed_modules(self.db_name, self._template_modules())
        except Exception as error:  # noqa: BLE001 - whatever failed is recorded and the half-made database dropped
            _logger.warning("Creating the partner database %s failed: %s", self.db_name, error)
            if created:
                hosting_db.drop_database(self.db_name, filestore=files)
            reason = error.args[0] if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
            self.write({"state": "failed", "failure_reason": reason})
            self.message_post(body=self.env._("Creating the database failed: %(reason)s", reason=reason))
            return f"failed: {reason}"
        seconds = time.monotonic() - started
        duration = round(seconds, 1)
        self.write(
            {
                "state": "active",
                "provisioned_date": fields.Datetime.now(),
                "provision_seconds": seconds,
                "code_version": self._code_version(),
                "installed_modules": "\n".join(f"{name} {version}" for name, version in modules),
                "db_dropped": False,
            }
        )
        self.message_post(
            body=self.env._(
                "The database %(db)s was created in %(seconds)s s; the invitation to set a password was sent to "
                "%(email)s.",
                db=self.db_name,
                seconds=duration,
                email=self.admin_email,
            )
        )
        return f"created in {seconds:.1f}s"

    def _setup_partner_database(self):
        """In the new database: a new identity (uuid, secret), its address, the firm's company and
        administrator, and Odoo's invitation to set the administrator's password."""
        self.ensure_one()
        registry = odoo.modules.registry.Registry.new(self.db_name)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if "auth_signup" not in env.registry._init_modules:
                raise UserError(self.env._("The template has no auth_signup: the administrator cannot be invited."))
            # a copy gets its own database.uuid and database.secret, as Odoo's duplicate does
            env["ir.config_parameter"].init(force=True)
            env["ir.config_parameter"].set_param("web.base.url", self._base_url())
            env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
            env.ref("base.main_company").write({"name": self.partner_id.commercial_partner_id.name})
            admin = env.ref("base.user_admin")
            email = email_normalize(self.admin_email)
            admin.write({"name": self.admin_name or self.admin_email, "login": email, "email": email})
            env.ref("base.main_company").email = email
            admin.with_context(create_user=1).action_reset_password()

    # ------------------------------------------------------------------ suspend, resume, archive
    def action_suspend(self):
        for tenant in self:
            if tenant.state != "active":
                raise UserError(self.env._("Only an active partner database can be suspended."))
            if not tenant.suspend_reason:
                raise UserError(
                    self.env._("Enter the suspension reason first: the firm's users see it on the login page.")
                )
        for tenant in self:
            hosting_db.write_parameters(
                tenant.db_name,
                {hosting_db.SUSPENDED_KEY: "1", hosting_db.SUSPENDED_REASON_KEY: tenant.suspend_reason},
            )
        self.write({"state": "suspended", "suspended_date": fields.Datetime.now()})
        return True

    def action_resume(self):
        if self.filtered(lambda tenant: tenant.state != "suspended"):
            raise UserError(self.env._("Only a suspended partner database can be resumed."))
        for tenant in self:
            hosting_db.write_parameters(
                tenant.db_name, {hosting_db.SUSPENDED_KEY: None, hosting_db.SUSPENDED_REASON_KEY: None}
            )
        self.write({"state": "active", "suspended_date": False, "suspend_reason": False})
        return True

    def action_archive_database(self):
        if self.filtered(lambda tenant: tenant.state not in ("active", "suspended")):
            raise UserError(self.env._("Only an active or suspended partner database can be archived."))
        for tenant in self:
            tenant.with_delay(
                channel="root.broker_hosting",
                description=self.env._("Archive the database of %(host)s", host=tenant.host_name),
                identity_key=identity_exact,
            )._job_archive()
            tenant.message_post(body=self.env._("Archiving queued: a final backup is taken first."))
        return True

    def _job_archive(self):
        """Final backup, then the firm's users are locked out; the database stays until dropped."""
        self.ensure_one()
        if self.state not in ("active", "suspended"):
            return "nothing to do"
        path = self._backup()
        hosting_db.write_parameters(
            self.db_name,
            {
                hosting_db.SUSPENDED_KEY: "1",
                hosting_db.SUSPENDED_REASON_KEY: self.env._("the subscription has ended"),
            },
        )
        self.write({"state": "archived", "archived_date": fields.Datetime.now()})
        self.message_post(body=self.env._("Archived; final backup %(file)s.", file=os.path.basename(path)))
        return path

    def action_drop_database(self):
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only administrators drop partner databases."))
        for tenant in self:
            if tenant.state != "archived" or not tenant.last_backup_file or not os.path.isfile(tenant.last_backup_file):
                raise UserError(
                    self.env._(
                        "Only an archived partner database whose final backup exists can be dropped (%(host)s).",
                        host=tenant.host_name,
                    )
                )
        for tenant in self:
            hosting_db.drop_database(tenant.db_name)
            tenant.db_dropped = True
            tenant.message_post(
                body=self.env._(
                    "The database was dropped by %(user)s; the final backup %(file)s is kept.",
                    user=self.env.user.name,
                    file=os.path.basename(tenant.last_backup_file),
                )
            )
        return True

    # ------------------------------------------------------------------ updates
    def action_update_databases(self):
        """One update job per active partner database, run one at a time (channel capacity 1)."""
        tenants = self or self.search([("state", "=", "active")])
        tenants = tenants.filtered(lambda tenant: tenant.state == "active")
        if not tenants:
            raise UserError(self.env._("There is no active partner database to update."))
        for tenant in tenants:
            tenant.with_delay(
                channel="root.broker_hosting.update",
                description=self.env._("Update the database of %(host)s", host=tenant.host_name),
                identity_key=identity_exact,
                max_retries=1,
            )._job_update()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "%(count)s partner database(s) will be updated one after another.", count=len(tenants)
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _job_update(self):
        """``odoo -u <our addons>`` on the firm's database; the result is recorded, never raised."""
        self.ensure_one()
        if self.state != "active":
            return "nothing to do"
        modules = self._template_modules()
        if not hosting_db.database_exists(self.db_name):
            code, log = 1, self.env._("The database %(name)s does not exist.", name=self.db_name)
        else:
            code, log = hosting_db.run_odoo(self.env, "-d", self.db_name, "-u", ",".join(modules), "--stop-after-init")
        vals = {"last_update_date": fields.Datetime.now(), "last_update_log": log or False}
        if code == 0:
            installed = hosting_db.installed_modules(self.db_name, modules)
            vals.update(
                last_update_result="done",
                code_version=self._code_version(),
                installed_modules="\n".join(f"{name} {version}" for name, version in installed),
            )
            self.write(vals)
            return "updated"
        _logger.warning("Updating the partner database %s failed (exit code %s)", self.db_name, code)
        vals["last_update_result"] = "failed"
        self.write(vals)
        self.message_post(body=self.env._("The update failed (exit code %(code)s); see Last Update.", code=code))
        return f"failed with exit code {code}"

    # ------------------------------------------------------------------ backups
    @api.model
    def _backup_folder(self):
        return self._param("broker_hosting.backup_dir", os.path.join(config["data_dir"], "broker_hosting_backups"))

    def _backups(self):
        """This database's backup files, newest first."""
        self.ensure_one()
        folder = os.path.join(self._backup_folder(), self.db_name)
        if not os.path.isdir(folder):
            return []
        names = sorted((name for name in os.listdir(folder) if name.endswith(".zip")), reverse=True)
        return [os.path.join(folder, name) for name in names]

    def action_backup(self):
        for tenant in self:
            if tenant.state not in ("active", "suspended") or tenant.db_dropped:
                raise UserError(self.env._("Only an active or suspended partner database is backed up."))
            tenant.with_delay(
                channel="root.broker_hosting",
                description=self.env._("Back up the database of %(host)s", host=tenant.host_name),
                identity_key=identity_exact,
            )._job_backup()
        return True

    def _job_backup(self):
        self.ensure_one()
        if self.state not in ("active", "suspended") or self.db_dropped:
            return "nothing to do"
        return self._backup()

    def _backup(self):
        """Odoo's own dump (SQL and file store, zip) into the backup folder, keeping the newest
        ``broker_hosting.backup_keep`` files."""
        self.ensure_one()
        folder = os.path.join(self._backup_folder(), self.db_name)
        os.makedirs(folder, exist_ok=True)
        stamp = fields.Datetime.now().strftime("%Y%m%d_%H%M%S")
        path = os.path.join(folder, f"{self.db_name}_{stamp}.zip")
        partial = f"{path}.part"
        try:
            with open(partial, "wb") as stream:
                # the undecorated dump: the database manager's guard (list_db) is for the public
                # pages; this runs in a hosting manager's job
                odoo.service.db.dump_db.__wrapped__(self.db_name, stream, "zip")
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        keep = max(int(self._param("broker_hosting.backup_keep", "7")), 1)
        for old in self._backups()[keep:]:
            os.unlink(old)
        self.write({"last_backup_date": fields.Datetime.now(), "last_backup_file": path})
        return path

    def _restore(self, path, new_name):
        """Restore a backup file of this database into a new database (new uuid)."""
        self.ensure_one()
        if path not in self._backups():
            raise UserError(self.env._("This backup file does not belong to %(host)s.", host=self.host_name))
        self._check_restore_name(new_name)
        if hosting_db.database_exists(new_name):
            raise UserError(self.env._("A database named %(name)s already exists on the server.", name=new_name))
        try:
            odoo.service.db.restore_db.__wrapped__(new_name, path, copy=True)
        except Exception:
            hosting_db.drop_database(new_name)
            raise
        finally:
            odoo.modules.registry.Registry.delete(new_name)
            odoo.sql_db.close_db(new_name)
        self.message_post(
            body=self.env._(
                "Backup %(file)s restored into the new database %(name)s.", file=os.path.basename(path), name=new_name
            )
        )
        return new_name

    @api.model
    def _check_restore_name(self, new_name):
        if not re.match(rf"^{HOST_LABEL}$", new_name or "") or new_name in RESERVED_DB_NAMES:
            raise UserError(
                self.env._(
                    "%(name)s is not a valid database name: lowercase latin letters, digits and hyphens.",
                    name=new_name,
                )
            )

    def _job_restore(self, path, new_name):
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                return self._restore(path, new_name)
        except Exception as error:  # noqa: BLE001 - the job records whatever failed for the manager
            _logger.warning("Restoring %s into %s failed: %s", path, new_name, error)
            self.message_post(
                body=self.env._("Restoring into %(name)s failed: %(reason)s", name=new_name, reason=str(error))
            )
            return f"failed: {error}"

    # ------------------------------------------------------------------ scheduled jobs
    @api.model
    def _cron_count_seats(self):
        """Nightly: active internal users of each active partner database, one count per day
        (read-only connections, no registry load; a second run the same day keeps the day's peak)."""
        today = fields.Date.context_today(self)
        rows = []
        for tenant in self.search([("state", "=", "active"), ("db_dropped", "=", False)]):
            seats = tenant._count_seats()
            if seats is not None:
                rows.append((tenant.id, today, seats))
        if rows:
            self.env["broker.tenant.seat.count"].flush_model()
            query = sql.SQL(
                """INSERT INTO broker_tenant_seat_count (tenant_id, date, count, create_uid, write_uid, create_date,
                                                        write_date)
                   VALUES {}
                   ON CONFLICT (tenant_id, date) DO UPDATE
                       SET count = GREATEST(broker_tenant_seat_count.count, EXCLUDED.count),
                           write_date = EXCLUDED.write_date"""
            ).format(
                sql.SQL(", ").join(
                    sql.SQL("(%s, %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')") for _row in rows
                )
            )
            params = [value for row in rows for value in (*row, self.env.uid, self.env.uid)]
            self.env.cr.execute(query, params)
            self.env["broker.tenant.seat.count"].invalidate_model()
        return len(rows)

    def _count_seats(self):
        """The seats of this firm's database, or None when it cannot be read (one unreachable
        database does not stop the nightly count)."""
        try:
            return hosting_db.count_seats(self.db_name)
        except psycopg2.Error as error:
            _logger.warning("Counting the seats of %s failed: %s", self.db_name, error)
            return None

    @api.model
    def _cron_invoice_seats(self):
        """Monthly (on the 1st): last month's seats of each firm, invoiced once."""
        today = fields.Date.context_today(self)
        period = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        tenants = self.search([("state", "in", ("active", "suspended"))])
        return tenants._invoice_period(period)

    def _invoice_period(self, period):
        """One posted customer invoice per firm for the month starting at ``period``: the month's
        peak seat count × the plan's price. Idempotent: a row lock on the firm and a unique key
        (firm, month) on the invoice."""
        period = period.replace(day=1)
        period_end = (period + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        moves = self.env["account.move"]
        if not self:
            return moves
        # one lock for all the firms (in id order: no deadlock with a concurrent run), then the
        # month's invoices and peaks read once for all of them
        self.env.cr.execute("SELECT id FROM broker_tenant WHERE id IN %s ORDER BY id FOR UPDATE", [tuple(self.ids)])
        invoiced = {
            tenant.id
            for [tenant] in self.env["account.move"]._read_group(
                [("broker_tenant_id", "in", self.ids), ("broker_hosting_period", "=", period)], ["broker_tenant_id"]
            )
        }
        peaks = {
            tenant.id: peak
            for tenant, peak in self.env["broker.tenant.seat.count"]._read_group(
                [("tenant_id", "in", self.ids), ("date", ">=", period), ("date", "<=", period_end)],
                ["tenant_id"],
                ["count:max"],
            )
        }
        vals_list = []
        for tenant in self:
            if tenant.id in invoiced:
                continue
            peak = peaks.get(tenant.id) or 0
            if not peak:
                continue
            plan = tenant.plan_id
            partner = tenant.partner_id.commercial_partner_id
            month = format_date(self.env(context={"lang": partner.lang}), period, date_format="LLLL yyyy")
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "currency_id": plan.currency_id.id,
                    "invoice_date": period_end + timedelta(days=1),
                    "broker_tenant_id": tenant.id,
                    "broker_hosting_period": period,
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": plan.product_id.id,
                                "name": self.with_context(lang=partner.lang).env._(
                                    "Seats in %(host)s, %(month)s: the month's peak of %(count)s active users, "
                                    "plan %(plan)s",
                                    host=tenant.host_name,
                                    month=month,
                                    count=peak,
                                    plan=plan.name,
                                ),
                                "quantity": peak,
                                "price_unit": plan.price_per_seat,
                            }
                        )
                    ],
                }
            )
        if vals_list:
            moves = moves.create(vals_list)
            moves.action_post()
        return moves

    @api.model
    def _cron_backup(self):
        tenants = self.search([("state", "in", ("active", "suspended")), ("db_dropped", "=", False)])
        for tenant in tenants:
            tenant.with_delay(
                channel="root.broker_hosting",
                description=self.env._("Back up the database of %(host)s", host=tenant.host_name),
                identity_key=identity_exact,
            )._job_backup()
        return len(tenants)

    # ------------------------------------------------------------------ buttons
    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("broker_tenant_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    def action_restore_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "broker.tenant.restore.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_tenant_id": self.id},
        }
