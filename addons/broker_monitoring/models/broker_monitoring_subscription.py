import re

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, index_exists

from odoo.addons.broker_crm.tools.requisites import is_valid_inn

# Planned watch period per reason, in months (practice: 3 months to a year).
REASON_MONTHS = {
    "contract_control": 3,
    "win_back": 6,
    "existing": 12,
    "preparing": 6,
    "long_pause": 12,
}
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
        "12 for existing clients and long pauses.",
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
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("lead_id"):
            self._check_lead_access([vals["lead_id"]])
        return super().write(vals)

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

    @api.depends("reason", "date_start")
    def _compute_date_end(self):
        for subscription in self:
            months = REASON_MONTHS.get(subscription.reason)
            if subscription.date_start and months:
                subscription.date_end = subscription.date_start + relativedelta(months=months)

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

    @api.model
    def _cron_expire(self):
        today = fields.Date.context_today(self)
        self.search([("state", "=", "active"), ("date_end", "<", today)]).write({"state": "expired"})
