import logging
import re
import select
import socket
import subprocess
import threading
import time

import requests

from odoo.tests import tagged

from odoo.addons.broker_hosting import hosting_db
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import HostingDatabaseCase

_logger = logging.getLogger(__name__)
SERVER_START_TIMEOUT = 120


@tagged("post_install", "-at_install")
class TestTenantRouting(HostingDatabaseCase):
    """A real Odoo server with the hosting configuration (dbfilter ^%d$, no database list, proxy
    mode) in front of two partner databases: the host name picks the database."""

    tag = "rt"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.domain = "partners.test"

    def start_server(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        command = hosting_db.odoo_command(
            self.env,
            "--http-interface", "127.0.0.1",
            "--http-port", str(port),
            "--db-filter", "^%d$",
            "--no-database-list",
            "--proxy-mode",
            "--workers", "0",
            "--max-cron-threads", "0",
            "--log-level", "info",
        )  # fmt: skip
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(server.wait, 30)
        self.addCleanup(server.terminate)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        started = []
        while time.monotonic() < deadline and not started:
            ready, _, _ = select.select([server.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = server.stdout.readline()
            if not line:
                break
            if "HTTP service (werkzeug) running" in line:
                started.append(line)
        self.assertTrue(started, "the server started")
        # keep reading its log so that it never blocks on a full pipe
        threading.Thread(target=server.stdout.read, daemon=True).start()
        return f"http://127.0.0.1:{port}"

    def get(self, session, host, path, **kwargs):
        return session.get(f"{self.url}{path}", headers={"Host": host, "Accept-Language": "en-US"}, **kwargs)

    def post(self, session, host, path, data, **kwargs):
        return session.post(
            f"{self.url}{path}", data=data, headers={"Host": host, "Accept-Language": "en-US"}, **kwargs
        )

    def rpc(self, session, host, path, params=None):
        return session.post(
            f"{self.url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params or {}, "id": 1},
            headers={"Host": host},
        ).json()

    def csrf(self, response):
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, response.text[:500])
        return match.group(1)

    def login(self, host, login, password):
        session = requests.Session()
        page = self.get(session, host, "/web/login")
        response = self.post(
            session, host, "/web/login", {"login": login, "password": password, "csrf_token": self.csrf(page)}
        )
        return session, response

    def test_host_picks_the_database_and_nothing_else_is_reachable(self):
        firm_a = self.provision(self.new_tenant("a"))
        firm_b = self.provision(self.new_tenant("b"))
        self.assertEqual((firm_a.state, firm_b.state), ("active", "active"))
        host_a, host_b = firm_a.host_name, firm_b.host_name
        started = time.monotonic()
        self.url = self.start_server()
        server_start = time.monotonic() - started

        # The firm's administrator follows the invitation and sets a password at the firm's host.
        def signup_url(env):
            return env.ref("base.user_admin").partner_id._get_signup_url()

        link = self.run_in_partner(firm_a.db_name, signup_url)
        self.assertTrue(link.startswith(f"http://{host_a}/web/signup?"), link)
        path = link.split(host_a, 1)[1]
        session_a = requests.Session()
        form = self.get(session_a, host_a, path)
        self.assertEqual(form.status_code, 200)
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
        password = "A-firm-admin-password-2026"
        signed_up = self.post(
            session_a,
            host_a,
            "/web/signup",
            {
                "token": token,
                "login": "admin@a.firm.example",
                "name": "Ирина Админова",
                "password": password,
                "confirm_password": password,
                "csrf_token": self.csrf(form),
            },
            allow_redirects=False,
        )
        self.assertIn(signed_up.status_code, (302, 303), signed_up.text[:1000])
        info = self.rpc(session_a, host_a, "/web/session/get_session_info")["result"]
        self.assertEqual((info["db"], info["username"]), (firm_a.db_name, "admin@a.firm.example"))

        # A's session and A's credentials mean nothing at B's host.
        info_b = self.rpc(session_a, host_b, "/web/session/get_session_info")
        self.assertNotEqual(info_b.get("result", {}).get("db"), firm_a.db_name)
        self.assertIn("error", info_b)
        _session, refused = self.login(host_b, "admin@a.firm.example", password)
        self.assertRegex(refused.text, "Wrong login/password|Неправильный логин/пароль")
        self.assertNotIn(firm_a.db_name, refused.text)

        # The database list and manager are closed; a host without a database gets nothing.
        anonymous = requests.Session()
        listing = self.rpc(anonymous, host_a, "/web/database/list")
        self.assertIn("error", listing)
        manager = self.get(anonymous, host_a, "/web/database/manager")
        self.assertIn("The database manager has been disabled by the administrator", manager.text)
        self.assertNotIn(firm_b.db_name, manager.text)
        backup = self.post(anonymous, host_a, "/web/database/backup", {"master_pwd": "admin", "name": firm_a.db_name})
        self.assertNotEqual(backup.headers.get("Content-Type"), "application/octet-stream; charset=binary")
        self.assertNotIn("zip", backup.headers.get("Content-Disposition", ""))
        unknown = self.get(anonymous, f"{self.prefix}zz.{self.domain}", "/web/login")
        self.assertNotIn('name="csrf_token"', unknown.text)
        self.assertNotIn(firm_a.db_name, unknown.text)

        # Suspension: open sessions end and the login page says why; resuming restores access.
        firm_a.suspend_reason = "счёт за март не оплачен"
        firm_a.action_suspend()
        self.assertIn("error", self.rpc(session_a, host_a, "/web/session/get_session_info"))
        _session, suspended = self.login(host_a, "admin@a.firm.example", password)
        self.assertIn("счёт за март не оплачен", suspended.text)
        self.assertNotRegex(suspended.text, "Wrong login/password|Неправильный логин/пароль")
        firm_a.action_resume()
        session_a, _response = self.login(host_a, "admin@a.firm.example", password)
        self.assertEqual(self.rpc(session_a, host_a, "/web/session/get_session_info")["result"]["db"], firm_a.db_name)

        # Archive: a final backup, no access; an administrator drops the database afterwards.
        with trap_jobs() as trap:
            firm_a.action_archive_database()
            trap.perform_enqueued_jobs()
        self.assertEqual(firm_a.state, "archived")
        self.assertTrue(hosting_db.database_exists(firm_a.db_name), "nothing dropped yet")
        _session, archived = self.login(host_a, "admin@a.firm.example", password)
        self.assertNotIn("/odoo", archived.headers.get("Location", ""))
        firm_a.action_drop_database()
        self.assertFalse(hosting_db.database_exists(firm_a.db_name))
        self.assertTrue(firm_a.db_dropped)
        self.assertEqual(firm_a.last_backup_file, firm_a._backups()[0])
        _logger.info("routing test: server ready in %.1fs", server_start)
