import json
import logging
from collections import Counter
from datetime import datetime, timedelta, timezone

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.tools import SQL

from .broker_installment_application import STATUS_CODES, STATUSES

_logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# an authenticated call the schema refuses: keep only the start of its body
MAX_REJECTED_PAYLOAD = 4 * 1024
# calls without an idempotency key (duplicates, rejected) are deleted after this many days; the calls that
# hold a key lose their body then but stay, so that a replay of their event is still answered "duplicate"
KEEP_IGNORED_DAYS = 90
# Calls refused before authentication (unknown provider, bad credentials, body too large) may come from
# anyone: nothing is written to the database for them, only an INFO line in the server log and this count
# per worker process since its start, keyed by HTTP status.
REFUSED_CALLS = Counter()
AUTHENTICATION_FAILED = "authentication failed"
# tolerated clock difference with a provider; later event times are refused
MAX_CLOCK_SKEW = timedelta(minutes=5)


class PayloadError(ValueError):
    """The body of a status call does not follow the schema."""


class BrokerInstallmentEvent(models.Model):
    """One call of a provider to the status endpoint, accepted or rejected."""

    _name = "broker.installment.event"
    _description = "Installment Provider Call"
    _order = "id desc"
    _rec_name = "external_id"

    provider_id = fields.Many2one("broker.installment.provider", readonly=True, index=True)
    provider_code = fields.Char(readonly=True)
    external_id = fields.Char(string="External ID", readonly=True, index=True)
    status = fields.Selection(STATUSES, readonly=True)
    event_time = fields.Datetime(readonly=True)
    order_ref = fields.Char(string="Order Reference", readonly=True)
    amount = fields.Float(readonly=True)
    application_id = fields.Many2one("broker.installment.application", readonly=True, index="btree_not_null")
    result = fields.Selection(
        [
            ("applied", "Applied"),
            ("unchanged", "Same Status"),
            ("outdated", "Outdated, Ignored"),
            ("duplicate", "Duplicate, Ignored"),
            ("rejected", "Rejected"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    reason = fields.Char(readonly=True, help="Technical reason returned to the provider.")
    payload = fields.Text(readonly=True)
    remote_addr = fields.Char(string="Remote Address", readonly=True)
    # set only on the accepted call of an event: the database refuses a second one
    dedup_key = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("dedup_key_uniq", "unique(dedup_key)", "This provider event was already received."),
    ]

    @api.model
    def _process_webhook(self, provider_code, body, headers, remote_addr=None):
        """Handle one provider call; return (http_status, response dict).

        Runs with full rights: the caller is authenticated here by the provider's secret. Until that check
        passed nothing is written to the database; an authenticated call always leaves one log record.
        """
        if len(body) > MAX_BODY:
            return self._refuse(provider_code, remote_addr, 413, f"body larger than {MAX_BODY} bytes")
        provider = self.env["broker.installment.provider"].search([("code", "=", provider_code)], limit=1)
        auth_error = provider._check_webhook_auth(body, headers) if provider else "unknown provider"
        if auth_error:
            # one answer for an unknown code and for bad credentials: the answer reveals no provider code
            return self._refuse(provider_code, remote_addr, 401, AUTHENTICATION_FAILED, auth_error)
        log = {
            "provider_id": provider.id,
            "provider_code": provider.code,
            "payload": body.decode("utf-8", "replace"),
            "remote_addr": remote_addr,
        }
        try:
            data = self._parse_payload(body)
        except PayloadError as error:
            return self._reject(log, 400, str(error))
        log.update(data)

        Application = self.env["broker.installment.application"].with_context(active_test=False)
        application = Application.search(
            [("provider_id", "=", provider.id), ("external_id", "=", data["external_id"])], limit=1
        )
        order = self.env["sale.order"]
        if not application:
            if not data.get("order_ref"):
                return self._reject(log, 422, "unknown application: send order_ref to open it")
            order = order.search([("name", "=", data["order_ref"])], limit=1)
            if not order:
                return self._reject(log, 422, "unknown order_ref")

        dedup_key = "|".join(
            [str(provider.id), data["external_id"], data["status"], fields.Datetime.to_string(data["event_time"])]
        )
        event = self._claim(dict(log, dedup_key=dedup_key, result="applied", http_status=200))
        if not event:
            # Not linked to the application: a concurrent delivery may have just updated it, and the
            # foreign key check would then fail this transaction.
            self._log(dict(log, result="duplicate", http_status=200))
            return 200, {"result": "duplicate", "application": application.name or None}

        if not application:
            application = self._open_application(Application, provider, order, data)
            event.application_id = application
            return 200, {"result": "applied", "application": application.name}
        # serialise the events of one application; a concurrent update makes this transaction retry
        self.env.cr.execute("SELECT id FROM broker_installment_application WHERE id = %s FOR UPDATE", [application.id])
        application.invalidate_recordset(["state", "status_time", "amount_time"])
        event.application_id = application
        event_time = data["event_time"]
        vals = {}
        # an amount older than the current one (a late delivery) is not applied
        if data.get("amount") is not None and (not application.amount_time or event_time >= application.amount_time):
            vals = {"amount": data["amount"], "amount_time": event_time}
        result = "applied"
        if application.status_time and event_time < application.status_time:
            result = "outdated"
            vals = {}
        elif application.state == data["status"]:
            result = "unchanged"
        else:
            vals.update(state=data["status"], status_time=event_time)
        if vals:
            application.write(vals)
        if result != "applied":
            event.result = result
        return 200, {"result": result, "application": application.name}

    @api.model
    def _claim(self, vals):
        """Insert the event's log record, or return an empty recordset if this event was already received.

        The unique index on dedup_key decides: a concurrent delivery of the same event waits for the first
        transaction and then fails here. Plain SQL, so that this expected failure is not logged as an error.
        """
        vals = dict(vals, create_uid=self.env.uid, write_uid=self.env.uid)
        columns = list(vals)
        now = self.env.cr.now()
        query = SQL(
            "INSERT INTO broker_installment_event (%s, create_date, write_date) VALUES (%s, %s, %s) RETURNING id",
            SQL(", ").join(SQL.identifier(column) for column in columns),
            SQL(", ").join(SQL("%s", vals[column]) for column in columns),
            now,
            now,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                event_id = self.env.cr.fetchone()[0]
        except UniqueViolation:
            return self.browse()
        return self.browse(event_id)

    @api.model
    def _open_application(self, Application, provider, order, data):
        """Open the application in the event's status.

        Two first events of one unknown application racing each other: the unique index makes the later
        transaction fail as a whole (nothing kept, HTTP error) and the provider's retry finds the application.
        """
        vals = {
            "order_id": order.id,
            "provider_id": provider.id,
            "external_id": data["external_id"],
            "state": data["status"],
            "status_time": data["event_time"],
        }
        if data.get("amount") is not None:
            vals.update(amount=data["amount"], amount_time=data["event_time"])
        return Application.create(vals)

    @api.model
    def _parse_payload(self, body):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as error:
            raise PayloadError(f"body is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise PayloadError("body must be a JSON object")
        missing = [key for key in ("external_id", "status", "event_time") if key not in data]
        if missing:
            raise PayloadError(f"missing field(s): {', '.join(missing)}")
        external_id = data["external_id"]
        if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > 64:
            raise PayloadError("external_id must be a non-empty string of at most 64 characters")
        if data["status"] not in STATUS_CODES:
            raise PayloadError(f"status must be one of: {', '.join(STATUS_CODES)}")
        event_time = self._parse_time(data["event_time"])
        result = {"external_id": external_id.strip(), "status": data["status"], "event_time": event_time}
        order_ref = data.get("order_ref")
        if order_ref is not None:
            if not isinstance(order_ref, str) or not order_ref.strip() or len(order_ref) > 64:
                raise PayloadError("order_ref must be a non-empty string of at most 64 characters")
            result["order_ref"] = order_ref.strip()
        amount = data.get("amount")
        if amount is not None:
            if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
                raise PayloadError("amount must be a non-negative number")
            result["amount"] = float(amount)
        return result

    @api.model
    def _parse_time(self, value):
        if not isinstance(value, str):
            raise PayloadError("event_time must be an ISO 8601 string")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            raise PayloadError("event_time must be an ISO 8601 date and time, e.g. 2025-01-31T12:00:00Z") from error
        if moment.tzinfo is None:
            raise PayloadError("event_time must carry a time zone, e.g. 2025-01-31T12:00:00Z")
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
        if moment > fields.Datetime.now() + MAX_CLOCK_SKEW:
            raise PayloadError("event_time is in the future")
        return moment

    @api.model
    def _log(self, vals):
        return self.create(vals)

    @api.model
    def _reject(self, log, http_status, reason):
        """Answer an authenticated call that cannot be applied, and log it."""
        payload = log["payload"][:MAX_REJECTED_PAYLOAD]
        self._log(dict(log, payload=payload, result="rejected", http_status=http_status, reason=reason))
        return http_status, {"result": "rejected", "reason": reason}

    @api.model
    def _refuse(self, provider_code, remote_addr, http_status, reason, detail=None):
        """Answer a call refused before authentication: counted and logged, nothing written to the database."""
        REFUSED_CALLS[http_status] += 1
        _logger.info(
            "Installment status call refused (%s, %s so far in this process): provider code %r from %s: %s",
            http_status,
            REFUSED_CALLS[http_status],
            (provider_code or "")[:64],
            remote_addr,
            detail or reason,
        )
        return http_status, {"result": "rejected", "reason": reason}

    @api.autovacuum
    def _gc_ignored_events(self):
        # create_date comes from the database clock
        limit = self.env.cr.now() - timedelta(days=KEEP_IGNORED_DAYS)
        self.search([("dedup_key", "=", False), ("create_date", "<", limit)]).unlink()
        # the idempotency keys stay as long as the records they guard: only the bodies go
        self.search([("dedup_key", "!=", False), ("payload", "!=", False), ("create_date", "<", limit)]).write(
            {"payload": False, "remote_addr": False}
        )
