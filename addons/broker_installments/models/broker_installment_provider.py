import hashlib
import hmac
import re
import time

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# tolerated difference between the provider's X-Timestamp and our clock, in seconds
MAX_TIMESTAMP_SKEW = 5 * 60
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class BrokerInstallmentProvider(models.Model):
    _name = "broker.installment.provider"
    _description = "Installment Provider"
    _order = "sequence, id"

    name = fields.Char(required=True)
    code = fields.Char(
        required=True,
        help="Short code used in the status endpoint URL: /broker_installments/webhook/<code>.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    # Secrets: only administrators may read or change them.
    webhook_token = fields.Char(
        string="Bearer Token",
        groups="base.group_system",
        copy=False,
        help="When set, status calls must carry the header 'Authorization: Bearer <token>'.",
    )
    webhook_hmac_key = fields.Char(
        string="HMAC Key",
        groups="base.group_system",
        copy=False,
        help="When set, status calls must carry the header 'X-Signature: sha256=<hex HMAC-SHA256 of the body>', "
        "or of '<X-Timestamp>.<body>' when the call carries an X-Timestamp header.",
    )
    webhook_require_timestamp = fields.Boolean(
        string="Require Signed Timestamp",
        groups="base.group_system",
        help="Status calls must carry the header 'X-Timestamp: <Unix time in seconds>', covered by the "
        "signature and at most 5 minutes away from the server's clock: a recorded call cannot be replayed later.",
    )
    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of an installment provider must be unique."),
    ]

    @api.constrains("webhook_require_timestamp", "webhook_hmac_key")
    def _check_webhook_require_timestamp(self):
        # sudo: reads the system-only fields of the records being saved, to validate them
        for provider in self.sudo():
            if provider.webhook_require_timestamp and not provider.webhook_hmac_key:
                raise ValidationError(
                    self.env._(
                        "Provider %(provider)s: a signed timestamp can only be required together with an HMAC key.",
                        provider=provider.name,
                    )
                )

    def _check_webhook_auth(self, body, headers):
        """Return None when the call is authentic, else the reason as a technical English text.

        The reason is only written to the server log: the caller gets the same answer for every failure.
        """
        self.ensure_one()
        # sudo: the secrets are system-only fields; they are compared here, never returned
        provider = self.sudo()
        token, key = provider.webhook_token, provider.webhook_hmac_key
        if not token and not key:
            return "no secret is configured for this provider"
        timestamp = (headers.get("X-Timestamp") or "").strip()
        if timestamp:
            if not TIMESTAMP.fullmatch(timestamp):
                return "X-Timestamp is not a Unix time in seconds"
            if abs(time.time() - int(timestamp)) > MAX_TIMESTAMP_SKEW:
                return "X-Timestamp is more than 5 minutes away from the server's clock"
        elif provider.webhook_require_timestamp:
            return "missing X-Timestamp header"
        if token:
            auth = headers.get("Authorization") or ""
            if not auth.startswith("Bearer ") or not auth[7:].strip():
                return "missing bearer token"
            if not hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
                return "invalid bearer token"
        if key:
            signature = (headers.get("X-Signature") or "").strip().lower()
            signature = signature.removeprefix("sha256=")
            if not signature:
                return "missing X-Signature header"
            # the timestamp is signed with the body, so that it cannot be replaced
            signed = timestamp.encode() + b"." + body if timestamp else body
            expected = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(signature.encode(), expected.encode()):
                return "invalid signature"
        return None
