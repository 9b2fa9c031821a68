import hashlib
import hmac

from odoo import fields, models


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
        help="When set, status calls must carry the header 'X-Signature: sha256=<hex HMAC-SHA256 of the body>'.",
    )
    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of an installment provider must be unique."),
    ]

    def _check_webhook_auth(self, body, headers):
        """Return None when the call is authentic, else (http_status, reason).

        Reasons are technical English texts for the integrator (returned in the
        response body and kept on the event log).
        """
        self.ensure_one()
        # sudo: the secrets are system-only fields; they are compared here, never returned
        token, key = self.sudo().webhook_token, self.sudo().webhook_hmac_key
        if not token and not key:
            return 403, "no secret is configured for this provider"
        if token:
            auth = headers.get("Authorization") or ""
            if not auth.startswith("Bearer ") or not auth[7:].strip():
                return 401, "missing bearer token"
            if not hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
                return 403, "invalid bearer token"
        if key:
            signature = (headers.get("X-Signature") or "").strip().lower()
            signature = signature.removeprefix("sha256=")
            if not signature:
                return 401, "missing X-Signature header"
            expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(signature.encode(), expected.encode()):
                return 403, "invalid signature"
        return None
