"""PostgreSQL and Odoo-process helpers for partner databases (no ORM, no registry)."""

import logging
import os
import shutil
import subprocess
import sys
from contextlib import closing, contextmanager

from psycopg2 import sql

import odoo
from odoo.tools import config

_logger = logging.getLogger(__name__)

# Keys read by broker_hosting_tenant in the partner database.
SEAT_LIMIT_KEY = "broker_hosting.seat_limit"
SUSPENDED_KEY = "broker_hosting.suspended"
SUSPENDED_REASON_KEY = "broker_hosting.suspended_reason"


def database_exists(name):
    with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.fetchone())


@contextmanager
def maintenance_cursor():
    """An autocommit cursor on the maintenance database: CREATE/DROP/ALTER DATABASE."""
    with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr._cnx.autocommit = True
        yield cr


def close_connections(cr, name):
    """Close this process's pooled connections to ``name`` and end other sessions on it."""
    odoo.sql_db.close_db(name)
    # client sessions only: PostgreSQL itself stops its autovacuum workers for CREATE/DROP DATABASE
    cr.execute(
        """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = %s AND pid != pg_backend_pid() AND backend_type = 'client backend'""",
        [name],
    )


def create_from_template(name, template):
    with maintenance_cursor() as cr:
        close_connections(cr, template)
        cr.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'unicode' TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def drop_database(name, filestore=True):
    """Drop the database and (unless told not to) its file store; nothing when absent."""
    odoo.modules.registry.Registry.delete(name)
    with maintenance_cursor() as cr:
        cr.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", [name])
        row = cr.fetchone()
        if row:
            if row[0]:
                cr.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(sql.Identifier(name)))
            close_connections(cr, name)
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    if filestore:
        shutil.rmtree(config.filestore(name), ignore_errors=True)


def drop_databases(prefix):
    """Drop every database (and file store) whose name starts with ``prefix``."""
    with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"])
        names = [row[0] for row in cr.fetchall()]
    for name in names:
        drop_database(name)


def protect_template(name):
    """Mark the template: Odoo lists, serves and runs scheduled actions in no such database."""
    with maintenance_cursor() as cr:
        cr.execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )


def unprotect_template(name):
    with maintenance_cursor() as cr:
        cr.execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true").format(sql.Identifier(name))
        )


def rename_database(old, new):
    with maintenance_cursor() as cr:
        close_connections(cr, old)
        cr.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))
    if os.path.exists(config.filestore(old)):
        os.rename(config.filestore(old), config.filestore(new))


def copy_filestore(template, name):
    """The template's files for the new database; refuses to write into an existing folder."""
    source, target = config.filestore(template), config.filestore(name)
    if os.path.exists(source):
        shutil.copytree(source, target)
    else:
        os.makedirs(target)


@contextmanager
def partner_cursor(name, readonly=False):
    """A direct connection to a partner database (no registry load)."""
    with closing(odoo.sql_db.db_connect(name, readonly=readonly).cursor()) as cr:
        if readonly:
            cr.execute("SET TRANSACTION READ ONLY")
        yield cr
        if not readonly:
            # the partner database's own transaction on its own connection, not the caller's
            cr.commit()  # pylint: disable=invalid-commit


def write_parameters(name, values):
    """Set (value) or remove (None) system parameters of a partner database and tell its
    Odoo processes to drop their caches, so that the change applies at the next request."""
    with partner_cursor(name) as cr:
        for key, value in values.items():
            if value is None:
                cr.execute("DELETE FROM ir_config_parameter WHERE key = %s", [key])
            else:
                cr.execute(
                    """INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
                       VALUES (%s, %s, 1, 1, now() at time zone 'UTC', now() at time zone 'UTC')
                       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_date = EXCLUDED.write_date""",
                    [key, str(value)],
                )
        cr.execute("SELECT nextval('base_cache_signaling_default')")


def count_seats(name):
    """Active internal users of a partner database; the superuser (OdooBot) excluded."""
    with partner_cursor(name, readonly=True) as cr:
        cr.execute("SELECT count(*) FROM res_users WHERE active AND share IS NOT TRUE AND id != 1")
        return cr.fetchone()[0]


def installed_modules(name, modules):
    with partner_cursor(name, readonly=True) as cr:
        cr.execute(
            "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed' AND name IN %s ORDER BY name",
            [tuple(modules)],
        )
        return cr.fetchall()


def odoo_command(env, *args):
    """The command line of an Odoo process like the running server (same binary, addons and
    data folder, same PostgreSQL settings)."""
    # sudo: reads one system parameter (set by administrators only) for a hosting manager's job;
    # nothing is written and no other parameter is exposed
    custom = env["ir.config_parameter"].sudo().get_param("broker_hosting.odoo_command")
    command = custom.split() if custom else [sys.executable, os.path.abspath(sys.argv[0])]
    if config.rcfile and os.path.isfile(config.rcfile):
        command += ["-c", config.rcfile]
    command += ["--addons-path", config["addons_path"], "--data-dir", config["data_dir"]]
    for option, key in (("--db_host", "db_host"), ("--db_port", "db_port"), ("--db_user", "db_user")):
        if config[key]:
            command += [option, str(config[key])]
    return [*command, *args]


def run_odoo(env, *args, timeout=3600):
    """Run an Odoo process to the end; return (exit code, the log's tail)."""
    process_env = dict(os.environ)
    if config["db_password"]:
        process_env["PGPASSWORD"] = config["db_password"]
    result = subprocess.run(
        odoo_command(env, *args, "--no-http", "--workers", "0", "--max-cron-threads", "0", "--log-level", "warn"),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=process_env,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    return result.returncode, output[-3000:]
