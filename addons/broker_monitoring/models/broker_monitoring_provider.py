import base64
import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..connectors import (
    ConnectorError,
    ConnectorTemporaryError,
    HttpJsonConnector,
    JsonLinesConnector,
    parse_allowed_hosts,
    url_problem,
)

_logger = logging.getLogger(__name__)

# Namespace of the advisory lock that lets one worker at a time fetch a provider.
LOCK_NAMESPACE = 7_101_001
# Where the credentials are sent and what the bureau's file holds: system administrators only.
SYSTEM_FIELDS = frozenset({"connector_type", "url", "api_login", "api_key", "import_file", "import_filename"})
ALLOWED_HOSTS_PARAM = "broker_monitoring.allowed_hosts"


class BrokerMonitoringProvider(models.Model):
    _name = "broker.monitoring.provider"
    _description = "Credit Bureau Provider"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    connector_type = fields.Selection(
        [("http_json", "HTTP JSON API"), ("jsonl", "JSON-lines file")],
        string="Connector",
        required=True,
        default="http_json",
        groups="base.group_system",
    )
    url = fields.Char(
        string="API URL",
        groups="base.group_system",
        help="Its host must be listed in the system parameter broker_monitoring.allowed_hosts.",
    )
    api_login = fields.Char(string="Login", groups="base.group_system", copy=False)
    api_key = fields.Char(string="API Key", groups="base.group_system", copy=False)
    timeout = fields.Float(string="Timeout (s)", default=20.0)
    page_size = fields.Integer(default=500)
    max_retries = fields.Integer(string="Retries", default=3, help="Retries of a page after a timeout or 5xx.")
    retry_backoff = fields.Float(
        string="Back-off (s)", default=2.0, help="Wait before the first retry; doubled at each further retry."
    )
    # kept in the record, not in an attachment: Odoo serves a field's attachment by its id to whoever
    # reads the record, whatever the field's groups
    import_file = fields.Binary(string="Signals File", attachment=False, copy=False, groups="base.group_system")
    import_filename = fields.Char(string="File Name", copy=False, groups="base.group_system")
    cursor = fields.Char(
        string="Position", copy=False, help="Where the next fetch resumes; advanced with every committed chunk."
    )
    last_run_id = fields.Many2one("broker.monitoring.run", compute="_compute_last_run")
    last_run_state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed"), ("interrupted", "Interrupted")],
        compute="_compute_last_run",
        string="Last Run Status",
    )
    run_ids = fields.One2many("broker.monitoring.run", "provider_id", string="Runs")
    signal_count = fields.Integer(compute="_compute_signal_count")

    _sql_constraints = [
        ("page_size_positive", "CHECK(page_size > 0)", "The page size must be positive."),
        ("max_retries_positive", "CHECK(max_retries >= 0)", "The number of retries cannot be negative."),
    ]

    def _compute_last_run(self):
        for provider in self:
            run = self.env["broker.monitoring.run"].search([("provider_id", "=", provider.id)], limit=1)
            provider.last_run_id = run
            provider.last_run_state = run.state

    def _compute_signal_count(self):
        counts = dict(
            self.env["broker.monitoring.signal"]._read_group(
                [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
            )
        )
        for provider in self:
            provider.signal_count = counts.get(provider, 0)

    def _check_system_fields(self, fields_set):
        # field groups guard read and write, but not create: the model refuses them itself
        if fields_set & SYSTEM_FIELDS and not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only system administrators can set a bureau's connection, credentials or file.")
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_system_fields(set(vals))
        return super().create(vals_list)

    def write(self, vals):
        self._check_system_fields(set(vals))
        # a new file, endpoint or connector has its own positions: start from the beginning
        if {"import_file", "url", "connector_type"} & set(vals) and "cursor" not in vals:
            vals = dict(vals, cursor=False)
        return super().write(vals)

    @api.model
    def _allowed_hosts(self):
        # sudo: the allow-list is a system parameter; only its hosts are read
        return parse_allowed_hosts(self.env["ir.config_parameter"].sudo().get_param(ALLOWED_HOSTS_PARAM, ""))

    def _url_problem_message(self, url):
        """Translated reason why the HTTP connector may not call ``url``, or ``None``."""
        problem = url_problem(url, self._allowed_hosts())
        if not problem:
            return None
        messages = {
            "empty": self.env._("The provider has no API URL."),
            "characters": self.env._("User info, backslashes and blanks are not allowed in the API URL."),
            "invalid": self.env._("The API URL %(url)s is not valid.", url=url),
            "scheme": self.env._("Only http and https addresses are allowed as the API URL."),
            "host": self.env._(
                "The host of %(url)s is not an allowed bureau host. A system administrator lists the allowed "
                "hosts, comma-separated, in the system parameter %(param)s.",
                url=url,
                param=ALLOWED_HOSTS_PARAM,
            ),
        }
        return messages[problem]

    @api.constrains("url", "connector_type")
    def _check_url(self):
        # sudo: URL and connector are system fields; the check must see them whoever saves the provider
        for provider in self.sudo().filtered(lambda p: p.connector_type == "http_json" and p.url):
            message = provider._url_problem_message(provider.url)
            if message:
                raise ValidationError(message)

    # ------------------------------------------------------------------ connector
    def _get_connector(self):
        self.ensure_one()
        # credentials are system-only fields; the connector needs them whoever triggers the fetch
        provider = self.sudo()
        if provider.connector_type == "http_json":
            if not provider.url:
                raise ConnectorError(self.env._("The provider %(name)s has no API URL.", name=provider.name))
            # the allow-list may have changed since the URL was saved: the connector checks it again
            return HttpJsonConnector(
                provider.url,
                login=provider.api_login,
                api_key=provider.api_key,
                page_size=provider.page_size,
                timeout=provider.timeout,
                allowed_hosts=self._allowed_hosts(),
            )
        if provider.connector_type == "jsonl":
            content = base64.b64decode(provider.import_file) if provider.import_file else b""
            return JsonLinesConnector(content, page_size=provider.page_size)
        raise ConnectorError(self.env._("Unknown connector %(type)s.", type=provider.connector_type))

    def _fetch_page_with_retry(self, connector, run, cursor):
        """A timeout or 5xx re-asks the same cursor, so nothing is lost or doubled."""
        attempt = 0
        while True:
            try:
                return connector.fetch_page(cursor)
            except ConnectorTemporaryError as exc:  # noqa: PERF203 - the retry loop itself
                run._add_counts(error_count=1)
                if attempt >= self.max_retries:
                    raise
                delay = max(self.retry_backoff, 0.0) * (2**attempt)
                attempt += 1
                _logger.info("%s: %s, retry %s in %.1fs", self.name, exc, attempt, delay)
                if delay:
                    time.sleep(delay)

    # ------------------------------------------------------------------ locking
    def _try_lock(self):
        """Hold an advisory lock in a separate transaction for the whole run.

        Chunk commits on the working cursor would release a row lock, so the
        lock lives on its own cursor until the run ends; a crashed worker's
        connection closes and frees it.
        """
        self.ensure_one()
        lock_cr = self.env.registry.cursor()
        try:
            lock_cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, self.id))
            if lock_cr.fetchone()[0]:
                return lock_cr
        except Exception:
            lock_cr.close()
            raise
        lock_cr.close()
        return None

    # ------------------------------------------------------------------ fetching
    @api.model
    def _cron_fetch_signals(self):
        for provider in self.search([]):
            provider._fetch_signals_isolated()

    def _fetch_signals_isolated(self):
        """Cron path: a provider that breaks does not stop the others."""
        try:
            self._fetch_signals(commit=True)
        except Exception:
            _logger.exception("Monitoring provider %s failed", self.name)
            self.env.cr.rollback()  # pylint: disable=invalid-commit

    def action_fetch_now(self):
        if not self.env.user.has_group("broker_crm.group_broker_manager"):
            raise AccessError(self.env._("Only managers can fetch bureau signals."))
        # the cron's job run on demand: the run log and the routing are written as the system,
        # in the user's transaction (all or nothing)
        self.sudo()._fetch_signals(commit=False)
        return self.action_view_runs()

    def action_reset_cursor(self):
        self.write({"cursor": False})

    def action_view_runs(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("broker_monitoring.broker_monitoring_run_action")
        action["domain"] = [("provider_id", "in", self.ids)]
        return action

    def action_view_signals(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("broker_monitoring.broker_monitoring_signal_action")
        action["domain"] = [("provider_id", "in", self.ids)]
        action["context"] = {}
        return action

    def _commit(self, commit):
        if commit:
            # cron path only: each chunk (signals + advanced cursor + counters) survives a crash
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _fetch_signals(self, commit=False):
        """Fetch, store and route new signals of each provider.

        Returns the runs made; a provider already fetched by another worker is
        skipped. With ``commit`` every page is committed with the cursor that
        follows it, so a rerun after a crash resumes at the first lost page.
        """
        runs = self.env["broker.monitoring.run"]
        for provider in self:
            lock_cr = provider._try_lock()
            if lock_cr is None:
                _logger.info("Monitoring provider %s is being fetched by another worker", provider.name)
                continue
            try:
                runs |= provider._run_fetch(commit)
            finally:
                lock_cr.close()
        return runs

    def _run_fetch(self, commit):
        self.ensure_one()
        Run = self.env["broker.monitoring.run"]
        # holding the lock, any run still 'running' was cut short by a crash
        Run.search([("provider_id", "=", self.id), ("state", "=", "running")]).write(
            {"state": "interrupted", "date_end": fields.Datetime.now()}
        )
        run = Run.create({"provider_id": self.id, "cursor_start": self.cursor or ""})
        self._commit(commit)
        cursor = self.cursor or ""
        try:
            connector = self._get_connector()
            while True:
                page = self._fetch_page_with_retry(connector, run, cursor)
                counts = self.env["broker.monitoring.signal"]._ingest(self, run, page.items)
                cursor = page.next_cursor
                self.cursor = cursor
                run._add_counts(page_count=1, **counts)
                run.cursor_end = cursor
                self._commit(commit)
                if not page.has_more:
                    break
        except ConnectorError as exc:
            _logger.warning("Monitoring provider %s: %s", self.name, exc)
            run.write(
                {
                    "state": "failed",
                    "date_end": fields.Datetime.now(),
                    "cursor_end": cursor,
                    "message": str(exc),
                    "error_count": run.error_count if isinstance(exc, ConnectorTemporaryError) else run.error_count + 1,
                }
            )
            self._commit(commit)
            return run
        run.write({"state": "done", "date_end": fields.Datetime.now()})
        self._commit(commit)
        return run
