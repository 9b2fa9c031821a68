#!/usr/bin/env python3
"""Take the README screenshots from a running demo database.

Starts headless Chromium, drives it through the DevTools protocol, logs in through
Odoo's own login form as the demo users and saves the pictures as PNG:

    python3 docs/take_screenshots.py --url http://localhost:8069 --out docs/

Needs Chromium (``chromium`` on PATH or ``$CHROMIUM``) and ``websocket-client``.
The server must serve the demo database only (its dbfilter picks it), in Russian.
This is a documentation helper, not a test: CI does not run it.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import websocket

DESKTOP = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
# Requests that never finish by design and must not hold "network idle" back.
LONG_LIVED = ("/websocket", "/longpolling", "/bus/")
POLL = 0.1  # seconds between two checks of the page
QUIET = 0.5  # seconds without network traffic that count as idle
DEAL_NAME = "Кредит на оборудование для цеха"  # a demo deal in credit support


def backend_ready(content, sample=False):
    """The view's main content is there, nothing is loading, no blocking overlay.

    Unless ``sample``, Odoo's sample data (shown when a view finds nothing) does not count.
    """
    # Kanban column totals count up to their value with an animation (o_animated_grow*).
    busy = ".o_loading_indicator, .o_loading, .o_blockUI, .o_animated_grow, .o_animated_grow_huge"
    busy += "" if sample else ", .o_view_sample_data"
    return f"""document.readyState === 'complete'
        && !!document.querySelector('.o_action_manager {content}')
        && !document.querySelector('{busy}')"""


PORTAL_READY = "document.readyState === 'complete' && !!document.querySelector('main, #wrap')"
ERROR_DIALOG = """(() => {
    const dialog = document.querySelector('.o_error_dialog, .o_dialog .modal-body');
    return dialog ? dialog.innerText.slice(0, 500) : '';
})()"""


class ScreenshotError(RuntimeError):
    pass


class DevTools:
    """A minimal synchronous DevTools protocol client for one page target."""

    def __init__(self, ws_url, timeout):
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.timeout = timeout
        self.next_id = 0
        self.inflight = set()
        self.last_activity = time.monotonic()

    def close(self):
        self.ws.close()

    def _handle_event(self, message):
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Network.requestWillBeSent":
            if not any(part in params["request"]["url"] for part in LONG_LIVED):
                self.inflight.add(params["requestId"])
            self.last_activity = time.monotonic()
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            self.inflight.discard(params["requestId"])
            self.last_activity = time.monotonic()

    def _receive(self, timeout):
        self.ws.settimeout(timeout)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self._receive(max(deadline - time.monotonic(), 0.01))
            if message is None:
                continue
            if message.get("id") == call_id:
                if "error" in message:
                    raise ScreenshotError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._handle_event(message)
        raise ScreenshotError(f"{method}: no answer in {self.timeout} s")

    def pump(self, duration):
        """Process the events that arrive during ``duration`` seconds."""
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            message = self._receive(left)
            if message is not None:
                self._handle_event(message)

    def evaluate(self, expression, await_promise=False):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise ScreenshotError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def network_idle(self):
        return not self.inflight and time.monotonic() - self.last_activity >= QUIET

    def wait_for(self, expression, what):
        """Poll ``expression`` until it is true and the network is idle."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self.pump(POLL)
            error = self.evaluate(ERROR_DIALOG)
            if error:
                raise ScreenshotError(f"{what}: error dialog: {error}")
            if self.evaluate(expression) and self.network_idle():
                return
        url = self.evaluate("location.href")
        raise ScreenshotError(f"{what}: not ready after {self.timeout} s (page {url})")

    def touch(self):
        """Count an action on the page as activity: the requests it starts follow shortly."""
        self.last_activity = time.monotonic()

    def navigate(self, url):
        self.inflight.clear()
        self.touch()
        self.call("Page.navigate", url=url)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_chromium():
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    raise ScreenshotError("Chromium not found: put `chromium` on PATH or set $CHROMIUM")


def start_chromium(profile, timeout):
    port = free_port()
    args = [
        find_chromium(),
        "--headless=new",
        f"--remote-debugging-port={port}",
        "--remote-allow-origins=*",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-gpu",
        "--disable-extensions",
        "--hide-scrollbars",
        "--lang=ru-RU",
        "--window-size=1440,900",
        "about:blank",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to run as root with its sandbox (containers).
        args.insert(1, "--no-sandbox")
    # The browser's own widgets (file inputs) speak the language of its environment.
    env = dict(os.environ, LANGUAGE="ru", LANG="ru_RU.UTF-8")
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=1) as answer:
                pages = [t for t in json.load(answer) if t["type"] == "page"]
            if pages:
                return process, pages[0]["webSocketDebuggerUrl"]
        except OSError:
            pass
        time.sleep(POLL)
    process.kill()
    raise ScreenshotError(f"Chromium did not open its DevTools port in {timeout} s")


class Shooter:
    def __init__(self, tools, base_url, out_dir):
        self.tools = tools
        self.base_url = base_url.rstrip("/")
        self.out_dir = out_dir
        self.default_ua = None

    def emulate(self, device):
        self.tools.call("Emulation.setDeviceMetricsOverride", **device)
        self.tools.call("Emulation.setTouchEmulationEnabled", enabled=device["mobile"])
        user_agent = PHONE_UA if device["mobile"] else self.default_ua
        self.tools.call("Emulation.setUserAgentOverride", userAgent=user_agent, acceptLanguage="ru-RU,ru")

    def setup(self):
        self.tools.call("Page.enable")
        self.tools.call("Network.enable")
        self.tools.call("Runtime.enable")
        self.default_ua = self.tools.evaluate("navigator.userAgent").replace("HeadlessChrome", "Chrome")

    def login(self, login, password):
        """Log in through Odoo's own login form, as a person would."""
        self.tools.call("Network.clearBrowserCookies")
        self.tools.navigate(f"{self.base_url}/web/login")
        self.tools.wait_for("!!document.querySelector('form input[name=login]')", "login page")
        self.tools.evaluate(
            f"""(() => {{
                const form = document.querySelector('form input[name=login]').form;
                form.querySelector('input[name=login]').value = {json.dumps(login)};
                form.querySelector('input[name=password]').value = {json.dumps(password)};
                form.querySelector('button[type=submit]').click();
            }})()"""
        )
        self.tools.wait_for(
            "!location.pathname.startsWith('/web/login') && document.readyState === 'complete'"
            " || !!document.querySelector('.oe_login_form .alert-danger')",
            f"login as {login}",
        )
        if self.tools.evaluate("location.pathname").startswith("/web/login"):
            raise ScreenshotError(f"login as {login} refused (wrong password or database?)")

    def json_rpc(self, route, params):
        """Call a JSON route of the server as the logged-in user."""
        payload = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params})
        answer = self.tools.evaluate(
            f"""fetch({json.dumps(route)}, {{
                method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(payload)},
            }}).then(r => r.json())""",
            await_promise=True,
        )
        if "error" in answer:
            raise ScreenshotError(f"{route}: {answer['error'].get('data', {}).get('message')}")
        return answer["result"]

    def rpc(self, model, method, args, kwargs=None):
        """Call the ORM through the web client's JSON-RPC route."""
        kwargs = dict(kwargs or {}, context=self.user_context())
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs}
        return self.json_rpc(f"/web/dataset/call_kw/{model}/{method}", params)

    def menu_id(self, xmlid):
        """The id of a menu of the web client, found by its xml id."""
        menus = self.tools.evaluate(
            "fetch('/web/webclient/load_menus/' + Date.now()).then(r => r.json())", await_promise=True
        )
        for menu in menus.values():
            if menu.get("xmlid") == xmlid:
                return menu["id"]
        raise ScreenshotError(f"menu {xmlid} not found")

    def user_context(self):
        """The logged-in user's context (language), as the web client sends it."""
        return self.json_rpc("/web/session/get_session_info", {})["user_context"]

    def filter_labels(self, action_xmlid, names):
        """The labels, in the user's language, of the action's search filters ``names``."""
        context = self.user_context()
        action = self.json_rpc("/web/action/load", {"action_id": action_xmlid, "context": context})
        if action["type"] == "ir.actions.server":
            action = self.json_rpc("/web/action/run", {"action_id": action["id"], "context": context})
        search_view = action.get("search_view_id") or [False]
        views = self.rpc(action["res_model"], "get_views", [], {"views": [[search_view[0], "search"]]})
        arch = ElementTree.fromstring(views["views"]["search"]["arch"])
        return [node.get("string") for node in arch.iter("filter") if node.get("name") in names]

    def hide_optional_columns(self, names, content):
        """Hide optional list columns, through the list's own column menu."""
        self.tools.evaluate("document.querySelector('.o_optional_columns_dropdown_toggle').click()")
        self.tools.wait_for("!!document.querySelector('.o-dropdown--menu input[type=checkbox]')", "column menu")
        self.tools.evaluate(
            f"""(() => {{
                for (const name of {json.dumps(names)}) {{
                    const box = document.querySelector(`.o-dropdown--menu input[name="${{name}}"]`);
                    if (box && box.checked) box.click();
                }}
                document.querySelector('.o_optional_columns_dropdown_toggle').click();
            }})()"""
        )
        self.tools.touch()
        self.tools.wait_for(
            backend_ready(content) + " && !document.querySelector('.o-dropdown--menu')", "hiding columns"
        )

    def remove_facets(self, labels, content, required=True):
        """Remove the search facets showing ``labels`` and wait for the view to reload."""
        removed = self.tools.evaluate(
            f"""(() => {{
                const labels = {json.dumps(labels)};
                let removed = 0;
                for (const facet of document.querySelectorAll('.o_searchview_facet')) {{
                    const values = [...facet.querySelectorAll('.o_facet_value')].map(v => v.innerText.trim());
                    if (values.some(v => labels.includes(v))) {{
                        facet.querySelector('.o_facet_remove').click();
                        removed++;
                    }}
                }}
                return removed;
            }})()"""
        )
        if not removed:
            if not required:
                return
            raise ScreenshotError(f"no search facet {labels} to remove")
        self.tools.touch()
        self.tools.wait_for(backend_ready(content), f"search without {labels}")

    def open_backend(self, fragment, content, sample=False):
        # /web redirects to the web client wherever this server mounts it; the
        # client reads the fragment (action, model, id) and opens the view.
        self.tools.navigate(f"{self.base_url}/web#{fragment}")
        self.tools.wait_for(backend_ready(content, sample), fragment)

    def capture(self, name):
        params = {"format": "png", "captureBeyondViewport": False}
        # No focus ring or open autocomplete in the picture; wait for the next painted frame.
        self.tools.evaluate("document.activeElement && document.activeElement.blur()")
        self.tools.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", True)
        data = base64.b64decode(self.tools.call("Page.captureScreenshot", **params)["data"])
        path = self.out_dir / name
        path.write_bytes(data)
        print(f"{path} ({len(data) // 1024} KB)")


def take_all(shooter, users):
    shooter.emulate(DESKTOP)

    # The CRM app's default action lands broker staff on the broker pipeline; the
    # director has no deals of her own, so the picture shows the whole team's.
    shooter.login(*users["manager"])
    pipeline = "crm.action_your_pipeline"
    shooter.open_backend(f"menu_id={shooter.menu_id('crm.crm_menu_root')}", ".o_kanban_view", sample=True)
    # the director's pipeline shows the whole team; drop the "own deals" filter if a setup adds it
    shooter.remove_facets(
        shooter.filter_labels(pipeline, ["assigned_to_me"]), ".o_kanban_renderer .o_kanban_record", required=False
    )
    shooter.capture("pipeline.png")

    shooter.login(*users["agent"])
    deal = shooter.rpc("crm.lead", "search_read", [[("name", "=", DEAL_NAME)]], {"fields": ["id"], "limit": 1})
    if not deal:
        raise ScreenshotError(f"demo deal «{DEAL_NAME}» not found for the agent")
    shooter.open_backend(f"id={deal[0]['id']}&model=crm.lead&view_type=form", ".o_form_view .o_field_widget")
    shooter.capture("deal.png")

    # Every commission, whatever its state, not only those to bill.
    shooter.login(*users["accountant"])
    commissions = "broker_commission.broker_commission_action"
    shooter.open_backend(f"action={commissions}", ".o_list_view", sample=True)
    shooter.remove_facets(shooter.filter_labels(commissions, ["to_bill"]), ".o_list_renderer .o_data_row")
    shooter.hide_optional_columns(
        ["client_payment_state", "bill_id", "bill_payment_state"], ".o_list_renderer .o_data_row"
    )
    shooter.capture("commission_statement.png")

    # The director's view of credit support: every open bank application, the overdue ones first,
    # then the deals waiting between the signed contract and the issued credit.
    shooter.login(*users["manager"])
    shooter.open_backend("action=broker_crm.broker_bank_application_action", ".o_list_renderer .o_data_row")
    shooter.capture("credit_support.png")
    shooter.open_backend("action=broker_crm.broker_deal_waiting_report_action", ".o_pivot")
    shooter.capture("waiting_deals.png")

    # The director's inbox: the signals of the whole office still to handle.
    signals = "broker_monitoring.broker_monitoring_signal_action"
    shooter.open_backend(f"action={signals}", ".o_list_view", sample=True)
    shooter.remove_facets(shooter.filter_labels(signals, ["my"]), ".o_list_renderer .o_data_row")
    shooter.capture("signals_inbox.png")

    # The partner on a phone: the deal whose offered range waits for the client's answer.
    shooter.emulate(PHONE)
    shooter.login(*users["partner"])
    shooter.tools.navigate(f"{shooter.base_url}/my/deals")
    shooter.tools.wait_for(PORTAL_READY + " && !!document.querySelector('.o_broker_portal_deal')", "portal deals")
    links = shooter.tools.evaluate(
        "[...document.querySelectorAll('.o_broker_portal_deal a[href]')].map(a => a.getAttribute('href'))"
    )
    for link in links:
        shooter.tools.navigate(f"{shooter.base_url}{link}")
        shooter.tools.wait_for(PORTAL_READY, link)
        if shooter.tools.evaluate("!!document.querySelector('form[action$=\"/range\"]')"):
            break
    else:
        raise ScreenshotError("no portal deal of the partner waits for the client's answer on the range")
    # Scroll just enough to show the answer buttons under the range.
    shooter.tools.evaluate(
        """(() => {
            const bottom = document.querySelector('form[action$="/range"]').getBoundingClientRect().bottom;
            window.scrollBy(0, Math.max(0, bottom + 16 - window.innerHeight));
        })()"""
    )
    shooter.capture("portal_phone.png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--url", default="http://localhost:8069", help="Odoo server serving the demo database")
    parser.add_argument("--out", default="docs/", type=Path, help="folder for the PNG files")
    parser.add_argument("--timeout", default=60, type=float, help="seconds to wait for each page")
    for role in ("manager", "agent", "accountant", "partner"):
        parser.add_argument(f"--{role}-login", default=role, help=f"login of the demo {role}")
        parser.add_argument(f"--{role}-password", default=None, help="password (default: the login)")
    args = parser.parse_args(argv)
    users = {}
    for role in ("manager", "agent", "accountant", "partner"):
        login = getattr(args, f"{role}_login")
        users[role] = (login, getattr(args, f"{role}_password") or login)
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="odoo-shots-", ignore_cleanup_errors=True) as profile:
        process, ws_url = start_chromium(profile, args.timeout)
        try:
            tools = DevTools(ws_url, args.timeout)
            try:
                shooter = Shooter(tools, args.url, args.out)
                shooter.setup()
                take_all(shooter, users)
            finally:
                tools.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    try:
        main()
    except ScreenshotError as error:
        sys.exit(f"take_screenshots: {error}")
