import hashlib
import secrets

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

# How long the client's confirmation link stays valid.
REQUEST_VALID_HOURS = 72
# The consents a client gives to be submitted to banks.
REQUESTED_KINDS = ("personal_data", "credit_history")


def _hash_token(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


class BrokerConsentRequest(models.Model):
    """A one-time link sent to the client's e-mail: the client confirms the consents the deal needs.

    Only the SHA-256 of the token is stored: the link itself exists in the e-mail alone, so nobody
    reading the database can confirm a consent on the client's behalf.
    """

    _name = "broker.consent.request"
    _description = "Client Consent Request"
    _order = "id desc"
    _rec_name = "email"

    token_hash = fields.Char(required=True, readonly=True, copy=False, index=True, groups="base.group_system")
    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Client", required=True, index=True, ondelete="cascade")
    email = fields.Char(string="Client's E-mail", required=True)
    expires_at = fields.Datetime(string="Link Expires", required=True, readonly=True)
    used_at = fields.Datetime(string="Confirmed On", readonly=True, copy=False)
    consent_ids = fields.Many2many("broker.consent", string="Recorded Consents", readonly=True, copy=False)
    state = fields.Selection(
        [("pending", "Waiting for the client"), ("confirmed", "Confirmed by the client"), ("expired", "Link expired")],
        compute="_compute_state",
    )
    user_id = fields.Many2one(
        "res.users", string="Requested By", default=lambda self: self.env.user, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)

    @api.depends("used_at", "expires_at")
    def _compute_state(self):
        now = fields.Datetime.now()
        for request in self:
            if request.used_at:
                request.state = "confirmed"
            elif request.expires_at and request.expires_at < now:
                request.state = "expired"
            else:
                request.state = "pending"

    # ------------------------------------------------------------------ texts
    @api.model
    def _consent_purposes(self, company, client_name):
        """{kind: purpose}: what the client consents to, naming the broker (152-FZ art. 9, 218-FZ art. 6)."""
        return {
            "personal_data": self.env._(
                "%(client)s consents to %(broker)s processing their personal data (name, contacts, passport "
                "and income data, documents of the credit application) to select a credit, submit applications "
                "to banks and support the credit deal; until withdrawn (152-FZ art. 9).",
                client=client_name,
                broker=company.name,
            ),
            "credit_history": self.env._(
                "%(client)s consents to %(broker)s and the banks it submits the application to requesting their "
                "credit history from credit history bureaus, to assess the credit application; valid 6 months, "
                "or for the term of a loan contract concluded within them (218-FZ art. 6).",
                client=client_name,
                broker=company.name,
            ),
        }

    # ------------------------------------------------------------------ business
    @api.model
    def _create_consents(self, lead, partner, method, user, document=None, document_name=None):
        """The two consents a deal needs, given today by ``partner`` through ``method``."""
        purposes = self._consent_purposes(lead.company_id or self.env.company, partner.name)
        today = fields.Date.context_today(self)
        return self.env["broker.consent"].create(
            [
                {
                    "partner_id": partner.id,
                    "kind": kind,
                    "purpose": purposes[kind],
                    "date_given": today,
                    "method": method,
                    "document": document,
                    "document_name": document_name,
                    "lead_id": lead.id,
                    "user_id": user.id,
                    "company_id": (lead.company_id or self.env.company).id,
                }
                for kind in REQUESTED_KINDS
            ]
        )

    @api.model
    def _create_and_send(self, lead, partner, email):
        """Create a request and e-mail the one-time link to the client. Returns the request."""
        token = secrets.token_urlsafe(32)
        request = self.create(
            {
                "token_hash": _hash_token(token),
                "lead_id": lead.id,
                "partner_id": partner.id,
                "email": email,
                "expires_at": fields.Datetime.now() + relativedelta(hours=REQUEST_VALID_HOURS),
                "company_id": (lead.company_id or self.env.company).id,
            }
        )
        url = f"{request.get_base_url()}/consent/{token}"
        template = self.env.ref("broker_crm.mail_template_consent_request")
        # the link is handed to the template through the context only: it is never stored but in the e-mail
        template.with_context(consent_url=url).send_mail(request.id, email_layout_xmlid="mail.mail_notification_light")
        return request

    @api.model
    def _find_by_token(self, token):
        """The request of ``token`` (any state), or an empty recordset."""
        if not token or len(token) > 100:
            return self.browse()
        return self.search([("token_hash", "=", _hash_token(token))], limit=1)

    def _confirm(self):
        """The client confirmed through the link: record the consents once. Returns the consents."""
        self.ensure_one()
        # lock the row: two clicks at the same time must not record the consents twice
        self.env.cr.execute(
            "SELECT id FROM broker_consent_request WHERE id = %s AND used_at IS NULL FOR UPDATE", [self.id]
        )
        if not self.env.cr.fetchone():
            return self.env["broker.consent"]
        self.invalidate_recordset(["used_at"])
        if self.state != "pending":
            return self.env["broker.consent"]
        consents = self._create_consents(self.lead_id, self.partner_id, "email_link", self.user_id)
        self.write({"used_at": fields.Datetime.now(), "consent_ids": [fields.Command.set(consents.ids)]})
        self.lead_id.message_post(
            body=self.env._("The client confirmed the consents by the link sent to %s.", self.email),
            author_id=self.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        return consents
