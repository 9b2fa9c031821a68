import re
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date, index_exists

from odoo.addons.broker_crm.tools.requisites import is_valid_inn

# Planned watch period per reason, in months (practice: 3 months to a year).
REASON_MONTHS = {
    "contract_control": 3,
    "win_back": 6,
    "existing": 12,
    "preparing": 6,
    "long_pause": 12,
}
# Changes that start or stretch a running period: the client's consent must cover it again.
CONSENT_FIELDS = {"partner_id", "date_start", "date_end", "state", "active"}
ACTIVE_SUBJECT_INDEX = "broker_monitoring_subscription_active_subject_uniq"
REASONS = [
    ("contract_control", "Contract to credit issue"),
    ("win_back", "Win-back"),
    ("existing", "Existing client"),
    ("preparing", "Preparing for credit"),
    ("long_pause", "Long pause"),
]


class BrokerMonitoringSubscription(models.Model):
    _name = "broker.monitoring.subscription"
    _description = "Credit Bureau Monitoring Subscription"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_end, id"

    active = fields.Boolean(default=True)
    partner_id = fields.Many2one("res.partner", string="Client", required=True, index=True, tracking=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", index=True, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        index=True,
        tracking=True,
        compute="_compute_user_id",
        store=True,
        readonly=False,
        help="Receives the work created from this client's signals when there is no deal owner.",
    )
    reason = fields.Selection(REASONS, required=True, default="contract_control", tracking=True)
    source = fields.Selection(
        [("manual", "Per client"), ("bulk", "Bulk from deals/contacts"), ("import", "Mass import")],
        default="manual",
        required=True,
        readonly=True,
    )
    date_start = fields.Date(string="Start", required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(
        string="Planned end",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        tracking=True,
        help="Defaults from the reason: 3 months for contract control, 6 for win-back and preparing, "
        "12 for existing clients and long pauses; never later than the client's credit history consent "
        "(218-FZ art. 6: 6 months, or the term of a loan concluded within them).",
    )
    state = fields.Selection(
        [("active", "Active"), ("expired", "Expired"), ("cancelled", "Cancelled")],
        default="active",
        required=True,
        tracking=True,
    )
    days_left = fields.Integer(compute="_compute_days_left")
    # What the bureau needs to identify the person.
    birth_date = fields.Date()
    passport_series = fields.Char()
    passport_number = fields.Char()
    inn = fields.Char(string="INN")
    subject_ref = fields.Char(
        string="Bureau Subject",
        compute="_compute_subject_ref",
        store=True,
        readonly=False,
        index=True,
        help="Identifier of the person in the bureau's signals: the INN, else the passport, else the contact.",
    )
    applied_creditors = fields.Char(
        string="Banks Applied To",
        help="Comma-separated names of the banks that have the client's applications. A credit issued by "
        "one of them is marked 'by our bank', any other creditor 'elsewhere'.",
    )
    signal_ids = fields.One2many("broker.monitoring.signal", "subscription_id", string="Signals")
    signal_count = fields.Integer(compute="_compute_signal_count")

    def init(self):
        # signals are routed by subject: two running subscriptions of one person would let the
        # newer one take the other's signals, so the database admits one at a time
        if not index_exists(self.env.cr, ACTIVE_SUBJECT_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON %s (subject_ref) WHERE active AND state = 'active'",
                    SQL.identifier(ACTIVE_SUBJECT_INDEX),
                    SQL.identifier(self._table),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_lead_access([vals.get("lead_id") for vals in vals_list])
        subscriptions = super().create(vals_list)
        subscriptions._apply_consent()
        return subscriptions

    def write(self, vals):
        if vals.get("lead_id"):
            self._check_lead_access([vals["lead_id"]])
        result = super().write(vals)
        if CONSENT_FIELDS & set(vals) and not self.env.context.get("broker_consent_applied"):
            self._apply_consent()
        return result

    # ---------------------------------------------------------------- consent (218-FZ art. 6)
    def _consent_ends(self):
        """Subscription -> last day its client's credit history consent covers from the start, or None.

        A consent covers the period when it was given on or before the start, is not withdrawn and
        is still valid on the start; the latest of such consents decides.
        """
        today = fields.Date.context_today(self)
        partner_ids = {sub.partner_id._origin.id for sub in self if sub.partner_id}
        # sudo: only the dates of the client's consents are read, whoever watches the client
        consents = (
            self.env["broker.consent"]
            .sudo()
            .search([("partner_id", "in", list(partner_ids)), ("kind", "=", "credit_history"),
                     ("withdrawn_on", "=", False)])
        )  # fmt: skip
        by_partner = defaultdict(list)
        for consent in consents:
            by_partner[consent.partner_id.id].append((consent.date_given, consent.valid_until or date.max))
        ends = {}
        for subscription in self:
            start = subscription.date_start or today
            covering = [
                until for given, until in by_partner[subscription.partner_id._origin.id] if given <= start <= until
            ]
            ends[subscription] = max(covering) if covering else None
        return ends

    def _apply_consent(self):
        """A running subscription needs the client's consent from its start; its end is capped to it."""
        running = self.filtered(lambda s: s.active and s.state == "active")
        if not running:
            return
        ends = running._consent_ends()
        missing = running.filtered(lambda s: not ends[s])
        if missing:
            # sudo: the names of the clients the user is subscribing, to say whose consent is missing
            names = missing.partner_id.sudo().mapped("display_name")
            raise UserError(
                self.env._(
                    "No valid consent of %(clients)s to request the credit history on %(date)s: record the "
                    "client's signed consent (218-FZ art. 6) before putting them on monitoring.",
                    clients=", ".join(names),
                    date=", ".join(format_date(self.env, d) for d in sorted(set(missing.mapped("date_start")))),
                )
            )
        by_end = defaultdict(self.browse)
        for subscription in running:
            if not subscription.date_end or subscription.date_end > ends[subscription]:
                by_end[ends[subscription]] |= subscription
        for end, subscriptions in by_end.items():
            # the planned end follows the consent: monitoring beyond it would be unlawful
            subscriptions.with_context(broker_consent_applied=True).write({"date_end": end})

    def _check_lead_access(self, lead_ids):
        """Watching a deal's client routes the signals into that deal: only for who may change it."""
        lead_ids = {lead_id for lead_id in lead_ids if lead_id}
        if lead_ids and not self.env.su:
            self.env["crm.lead"].browse(lead_ids).check_access("write")

    @api.depends("lead_id")
    def _compute_user_id(self):
        for subscription in self:
            if subscription.lead_id.user_id:
                subscription.user_id = subscription.lead_id.user_id
            elif not subscription.user_id:
                subscription.user_id = self.env.user

    @api.depends("reason", "date_start", "partner_id")
    def _compute_date_end(self):
        ends = self._consent_ends()
        for subscription in self:
            months = REASON_MONTHS.get(subscription.reason)
            if subscription.date_start and months:
                end = subscription.date_start + relativedelta(months=months)
                # never beyond the client's credit history consent (218-FZ art. 6)
                subscription.date_end = min(end, ends[subscription] or end)

    @api.constrains("inn")
    def _check_inn(self):
        for subscription in self.filtered("inn"):
            if not is_valid_inn(re.sub(r"\s", "", subscription.inn)):
                raise ValidationError(
                    self.env._("INN %s is not valid: it must have 10 or 12 digits and correct check digits.",
                               subscription.inn)
                )  # fmt: skip

    @api.constrains("subject_ref", "active", "state")
    def _check_one_active_per_subject(self):
        running = self.filtered(lambda s: s.active and s.state == "active" and s.subject_ref)
        if not running:
            return
        # plain SQL, as a search would first flush these very rows into the unique index that this
        # check words nicely; what this transaction changed since is then read from the cache
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE active AND state = 'active' AND subject_ref = ANY(%s) AND id != ALL(%s)",
                SQL.identifier(self._table),
                running.mapped("subject_ref"),
                running.ids,
            )
        )
        # sudo: the other subscription may be another agent's; only whether it runs is read
        others = (
            self.sudo()
            .browse(row[0] for row in self.env.cr.fetchall())
            .filtered(lambda s: s.active and s.state == "active")
            .mapped("subject_ref")
        )
        refs = running.mapped("subject_ref")
        clash = set(others) | {ref for ref in refs if refs.count(ref) > 1}
        if clash:
            raise ValidationError(
                self.env._(
                    "The client %(subject)s is already on monitoring: a person can have one running "
                    "subscription only. Ask a manager to hand the existing one over to you.",
                    subject=", ".join(sorted(clash)),
                )
            )

    @api.depends("inn", "passport_series", "passport_number", "partner_id")
    def _compute_subject_ref(self):
        for subscription in self:
            passport = re.sub(r"\D", "", f"{subscription.passport_series or ''}{subscription.passport_number or ''}")
            if subscription.inn:
                subscription.subject_ref = re.sub(r"\D", "", subscription.inn)
            elif passport:
                subscription.subject_ref = passport
            elif subscription.partner_id and not subscription.subject_ref:
                subscription.subject_ref = f"partner-{subscription.partner_id.id}"

    @api.depends("date_end", "state")
    def _compute_days_left(self):
        today = fields.Date.context_today(self)
        for subscription in self:
            if subscription.state == "active" and subscription.date_end:
                subscription.days_left = (subscription.date_end - today).days
            else:
                subscription.days_left = 0

    def _compute_signal_count(self):
        counts = dict(
            self.env["broker.monitoring.signal"]._read_group(
                [("subscription_id", "in", self.ids)], ["subscription_id"], ["__count"]
            )
        )
        for subscription in self:
            subscription.signal_count = counts.get(subscription, 0)

    @api.depends("partner_id", "reason")
    def _compute_display_name(self):
        labels = dict(self._fields["reason"]._description_selection(self.env))
        for subscription in self:
            subscription.display_name = f"{subscription.partner_id.name or ''} ({labels.get(subscription.reason, '')})"

    def _is_monitored(self, on_date):
        """Signals are routed only while the client is really on monitoring."""
        self.ensure_one()
        return (
            self.active
            and self.state == "active"
            and (not self.date_end or self.date_end >= on_date)
            and (not self.date_start or self.date_start <= on_date)
        )

    def action_cancel(self):
        self.write({"state": "cancelled"})

    def action_renew(self):
        today = fields.Date.context_today(self)
        for subscription in self:
            months = REASON_MONTHS.get(subscription.reason, 3)
            subscription.write(
                {"state": "active", "date_start": today, "date_end": today + relativedelta(months=months)}
            )

    def action_view_signals(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("broker_monitoring.broker_monitoring_signal_action")
        action["domain"] = [("subscription_id", "in", self.ids)]
        action["context"] = {}
        return action

    def _end_unconsented(self, state):
        """End the running subscriptions among self whose client holds no valid consent today."""
        running = self.filtered(lambda s: s.active and s.state == "active")
        consented = running.partner_id._broker_consent_valid("credit_history")
        ended = running.filtered(lambda s: s.partner_id not in consented)
        if ended:
            ended.with_context(broker_consent_applied=True).write({"state": state})
            body = self.env._(
                "Monitoring ended: the client's consent to request the credit history is no longer "
                "valid (218-FZ art. 6)."
            )
            # one note per subscription in a single batch; the callers already changed these records
            ended._message_log_batch(dict.fromkeys(ended.ids, body))
        return ended

    @api.model
    def _cron_expire(self):
        today = fields.Date.context_today(self)
        self.search([("state", "=", "active"), ("date_end", "<", today)]).write({"state": "expired"})
