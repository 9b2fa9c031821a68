from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

# 218-FZ art. 6 p. 9: a consent to request a credit history is valid for 6 months from the day
# it was given, or for the whole term of a loan contract concluded within those 6 months.
CREDIT_HISTORY_MONTHS = 6
# A consent given on paper or through EDO is proven by the document itself.
DOCUMENT_METHODS = ("paper", "edo")
# Days before a consent needed by open work expires when its deal owner is told.
EXPIRY_NOTICE_DAYS = 14


class BrokerConsent(models.Model):
    _name = "broker.consent"
    _description = "Client Consent"
    _inherit = ["mail.thread"]
    _order = "date_given desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, ondelete="restrict", tracking=True
    )
    kind = fields.Selection(
        [
            ("personal_data", "Personal data processing"),
            ("credit_history", "Credit history request / bureau monitoring"),
            ("marketing", "Marketing contacts"),
        ],
        required=True,
        tracking=True,
        help="Personal data processing (152-FZ art. 9): a separate document since 1 September 2025, valid until "
        "withdrawn or the purpose is reached.\n"
        "Credit history request (218-FZ art. 6): valid 6 months, or for the term of a loan contract concluded "
        "within them; it also covers bureau monitoring.",
    )
    purpose = fields.Text(required=True, tracking=True)
    date_given = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    method = fields.Selection(
        [
            ("paper", "Signed paper (scan)"),
            ("edo", "EDO"),
            ("esign", "E-signature on the portal"),
            ("sms", "SMS code"),
            ("email_link", "Confirmation link by e-mail"),
        ],
        string="Given By",
        required=True,
        tracking=True,
    )
    document = fields.Binary(string="Consent Document", attachment=True, copy=False)
    document_name = fields.Char(copy=False)
    lead_id = fields.Many2one("crm.lead", string="Deal", index="btree_not_null", ondelete="set null")
    loan_end_date = fields.Date(
        string="Loan Contract Ends",
        tracking=True,
        help="A loan contract concluded within the 6 months of a credit history consent keeps the consent valid "
        "until the contract ends (218-FZ art. 6).",
    )
    valid_until = fields.Date(compute="_compute_valid_until", store=True, index=True)
    withdrawn_on = fields.Date(readonly=True, tracking=True, copy=False)
    erase_after = fields.Date(
        string="Erase Personal Data After",
        readonly=True,
        tracking=True,
        copy=False,
        help="A withdrawn personal data consent ends the processing; the data is destroyed within the retention "
        "period (152-FZ art. 21 p. 5: 30 days), except what the law requires to keep (accounting documents).",
    )
    state = fields.Selection(
        [("valid", "Valid"), ("expired", "Expired"), ("withdrawn", "Withdrawn")],
        compute="_compute_state",
        search="_search_state",
    )
    user_id = fields.Many2one(
        "res.users", string="Recorded By", default=lambda self: self.env.user, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, readonly=True)

    @api.depends("kind", "date_given", "loan_end_date")
    def _compute_valid_until(self):
        for consent in self:
            if consent.kind == "credit_history" and consent.date_given:
                until = consent.date_given + relativedelta(months=CREDIT_HISTORY_MONTHS)
                consent.valid_until = max(until, consent.loan_end_date or until)
            else:
                consent.valid_until = False

    @api.depends("valid_until", "withdrawn_on")
    @api.depends_context("date")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for consent in self:
            if consent.withdrawn_on:
                consent.state = "withdrawn"
            elif consent.valid_until and consent.valid_until < today:
                consent.state = "expired"
            else:
                consent.state = "valid"

    def _search_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the consent state."))
        today = fields.Date.context_today(self)
        domains = {
            "withdrawn": [("withdrawn_on", "!=", False)],
            "expired": [("withdrawn_on", "=", False), ("valid_until", "<", today)],
            "valid": [("withdrawn_on", "=", False), "|", ("valid_until", "=", False), ("valid_until", ">=", today)],
        }
        values = [value] if isinstance(value, str) else list(value)
        domain = expression.OR([domains[v] for v in values if v in domains]) if values else expression.FALSE_DOMAIN
        return expression.distribute_not(["!", *domain]) if operator in ("!=", "not in") else domain

    @api.depends("kind", "partner_id")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for consent in self:
            consent.display_name = f"{kinds.get(consent.kind, '')}: {consent.partner_id.display_name or ''}"

    @api.constrains("method", "document", "date_given", "loan_end_date")
    def _check_evidence(self):
        today = fields.Date.context_today(self)
        for consent in self:
            if consent.method in DOCUMENT_METHODS and not consent.document:
                raise ValidationError(
                    self.env._("A consent given on paper or through EDO needs the signed document attached.")
                )
            if consent.date_given > today:
                raise ValidationError(self.env._("A consent cannot be dated in the future."))
            if consent.loan_end_date and consent.loan_end_date < consent.date_given:
                raise ValidationError(self.env._("The loan contract cannot end before the consent was given."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        # a consent is the proof that the processing was lawful: it is withdrawn, never deleted
        raise UserError(self.env._("Consents are never deleted: record a withdrawal instead."))

    def action_withdraw(self):
        """The client withdrew the consent: the processing it allowed stops now."""
        today = fields.Date.context_today(self)
        to_withdraw = self.filtered(lambda c: not c.withdrawn_on)
        for consent in to_withdraw:
            retention = consent.company_id.broker_pd_retention_days
            values = {"withdrawn_on": today}
            if consent.kind == "personal_data":
                values["erase_after"] = today + relativedelta(days=retention)
            consent.write(values)
        for partner in to_withdraw.partner_id:
            partner._broker_consent_withdrawn(
                set(to_withdraw.filtered(lambda c, p=partner: c.partner_id == p).mapped("kind"))
            )
        return True

    # ------------------------------------------------------------------ jobs
    @api.model
    def _cron_consents(self):
        """Daily: tell deal owners about consents about to expire, erase what withdrawals require."""
        self._notify_expiring()
        self._erase_withdrawn()

    @api.model
    def _expiring_domain(self):
        today = fields.Date.context_today(self)
        return [
            ("state", "=", "valid"),
            ("valid_until", "!=", False),
            ("valid_until", "<=", today + relativedelta(days=EXPIRY_NOTICE_DAYS)),
        ]

    @api.model
    def _notify_expiring(self):
        consents = self.search(self._expiring_domain())
        # a client who already gave a newer consent lasting past the notice window needs no reminder
        renewed = consents.partner_id._broker_consent_valid(
            "credit_history", date_to=fields.Date.context_today(self) + relativedelta(days=EXPIRY_NOTICE_DAYS + 1)
        )
        consents = consents.filtered(lambda c: c.partner_id not in renewed)
        if not consents:
            return
        activity_type = self.env.ref("broker_crm.mail_activity_type_consent_expiring")
        open_deals = self.env["crm.lead"].search(
            [("partner_id", "in", consents.partner_id.ids), ("active", "=", True), ("probability", "<", 100)]
        )
        notified = set(
            self.env["mail.activity"]
            .search(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "in", open_deals.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
            .mapped("res_id")
        )
        # the consent expiring first decides the deadline of the client's task
        first_expiring = {}
        for consent in consents.sorted("valid_until", reverse=True):
            first_expiring[consent.partner_id.id] = consent
        for deal in open_deals.filtered(lambda d: d.id not in notified and (d.user_id or d.executor_id)):
            consent = first_expiring[deal.partner_id.id]
            deal.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=consent.valid_until,
                user_id=(deal.executor_id or deal.user_id).id,
                note=self.env._(
                    "The client's consent to request the credit history expires on %(date)s: ask for a new one.",
                    date=consent.valid_until,
                ),
            )

    @api.model
    def _erase_withdrawn(self):
        today = fields.Date.context_today(self)
        due = self.search([("kind", "=", "personal_data"), ("erase_after", "!=", False), ("erase_after", "<=", today)])
        partners = due.partner_id.filtered(lambda p: not p.broker_erased_on)
        for partner in partners:
            partner._broker_erase_personal_data()
