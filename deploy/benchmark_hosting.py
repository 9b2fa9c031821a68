# ruff: noqa: F821 - `env` is given by `odoo shell`
"""Benchmark of partner hosting: provisions BENCH_COUNT (20) partner databases from the template,
starts an Odoo server with the hosting settings (dbfilter ^%d$, no database list, proxy mode),
sends one request to each firm's host and reports the server's memory, then times the nightly
seat count over all of them. Everything it creates is dropped at the end.

Run on a database with broker_hosting installed (e.g. a kept test database):

    odoo shell -d <db> --addons-path=<same as the server> < deploy/benchmark_hosting.py

BENCH_TEMPLATE_MODULES overrides the template's addons (default: the production list, whose
template takes minutes to build once); BENCH_COUNT the number of databases.
"""

import os
import socketserver
import statistics
import subprocess
import threading
import time

import requests

from odoo.tools import config

from odoo.addons.broker_hosting import hosting_db

count = int(os.environ.get("BENCH_COUNT", "20"))
prefix = f"bench{os.getpid()}"
params = env["ir.config_parameter"].sudo()
if os.environ.get("BENCH_TEMPLATE_MODULES"):
    params.set_param("broker_hosting.template_modules", os.environ["BENCH_TEMPLATE_MODULES"])
params.set_param("broker_hosting.template_db", f"{prefix}tmpl")
params.set_param("broker_hosting.url_scheme", "http")
env["res.lang"]._activate_lang("ru_RU")
Tenant = env["broker.tenant"]
product = env["product.product"].create({"name": "Seat (benchmark)", "type": "service"})
plan = env["broker.hosting.plan"].create({"name": "Benchmark", "price_per_seat": 1000, "product_id": product.id})
firm = env["res.partner"].create({"name": "Benchmark Firm", "is_company": True})
server = None


class SmtpSink(socketserver.StreamRequestHandler):
    """Accepts the administrators' invitations and forgets them (no mail server here)."""

    def handle(self):
        self.wfile.write(b"220 sink\r\n")
        in_data = False
        for line in self.rfile:
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    in_data = False
                    self.wfile.write(b"250 ok\r\n")
                continue
            command = line[:4].upper()
            if command == b"DATA":
                in_data = True
                self.wfile.write(b"354 go on\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
threading.Thread(target=smtp.serve_forever, daemon=True).start()
config["smtp_server"], config["smtp_port"] = "127.0.0.1", smtp.server_address[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


try:
    started = time.monotonic()
    template = Tenant._ensure_template()
    print(f"template {template} ready in {time.monotonic() - started:.1f}s ({', '.join(Tenant._template_modules())})")
    tenants = Tenant.create(
        [
            {
                "partner_id": firm.id,
                "host_name": f"{prefix}n{index:02d}.bench.test",
                "plan_id": plan.id,
                "admin_email": f"admin{index}@bench.example",
                "state": "provisioning",
            }
            for index in range(count)
        ]
    )
    seconds = []
    for tenant in tenants:
        tenant._job_provision()
        assert tenant.state == "active", tenant.failure_reason
        seconds.append(tenant.provision_seconds)
    print(
        f"provisioned {count} databases: mean {statistics.mean(seconds):.2f}s, "
        f"median {statistics.median(seconds):.2f}s, max {max(seconds):.2f}s per database"
    )
    # the provisioning process keeps each new registry loaded; the server below starts empty
    port = 18000 + os.getpid() % 1000
    command = hosting_db.odoo_command(
        env, "--http-interface", "127.0.0.1", "--http-port", str(port), "--db-filter", "^%d$",
        "--no-database-list", "--proxy-mode", "--workers", "0", "--max-cron-threads", "0", "--log-level", "warn",
    )  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/web/webclient/version_info", timeout=2)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # polling the port until the server answers
    base = rss_mb(server.pid)
    firsts = []
    for tenant in tenants:
        started = time.monotonic()
        response = requests.get(f"http://127.0.0.1:{port}/web/login", headers={"Host": tenant.host_name}, timeout=120)
        assert response.status_code == 200, response.status_code
        firsts.append(time.monotonic() - started)
    after = rss_mb(server.pid)
    print(
        f"server memory: {base:.0f} MB started, {after:.0f} MB after one request to each of {count} databases "
        f"= {(after - base) / count:.1f} MB per loaded database; first request {statistics.mean(firsts):.2f}s mean"
    )
    started = time.monotonic()
    counted = Tenant._cron_count_seats()
    print(f"nightly seat count: {counted} databases in {time.monotonic() - started:.3f}s")
finally:
    if server:
        server.terminate()
        server.wait(30)
    smtp.shutdown()
    env.cr.rollback()
    hosting_db.drop_databases(prefix)
