import json
from collections import defaultdict
from datetime import date, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..connectors import MalformedItem
from .broker_monitoring_rule import ACTIONS, SIGNAL_TYPES
from .broker_monitoring_subscription import REASONS

# Steps between the signed contract and the issue, where an issue signal means the fee is due.
ISSUE_WATCH_STEPS = ("contract", "credit_support", "credit_approved")
# Steps where the deal is already issued or over: a win-back needs a new deal.
DEAL_OVER_STEPS = ("credit_issued", "act_invoice", "closed")
MAX_ID_LENGTH = 128
AGENT_WRITABLE = {"contacted", "date_contacted", "active"}
INSERT_COLUMNS = (
    "provider_id", "run_id", "external_id", "signal_type", "subject_ref", "signal_date", "creditor", "amount",
    "currency_id", "payload", "subscription_id", "reason", "partner_id", "lead_id", "user_id", "state", "rule_id",
    "route_action", "route_note",
)  # fmt: skip


class BrokerMonitoringSignal(models.Model):
    _name = "broker.monitoring.signal"
    _description = "Credit Bureau Signal"
    _order = "signal_date desc, id desc"

    active = fields.Boolean(default=True)
    provider_id = fields.Many2one("broker.monitoring.provider", required=True, index=True, ondelete="restrict")
    run_id = fields.Many2one("broker.monitoring.run", index="btree_not_null", ondelete="set null")
    external_id = fields.Char(string="External ID", required=True, readonly=True)
    signal_type = fields.Selection(SIGNAL_TYPES, string="Type", required=True, readonly=True)
    # the bureau's identifier of a person (INN, passport) and the raw record: managers only
    subject_ref = fields.Char(
        string="Bureau Subject", index=True, readonly=True, groups="broker_crm.group_broker_manager"
    )
    signal_date = fields.Date(string="Event Date", required=True, readonly=True)
    creditor = fields.Char(readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    payload = fields.Text(string="Raw Payload", readonly=True, groups="broker_crm.group_broker_manager")
    subscription_id = fields.Many2one("broker.monitoring.subscription", index="btree_not_null", readonly=True)
    reason = fields.Selection(REASONS, string="Subscription Reason", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", index="btree_not_null", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", index="btree_not_null", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", index="btree_not_null", readonly=True)
    state = fields.Selection(
        [("routed", "Routed"), ("not_routed", "Not routed")], required=True, default="not_routed", readonly=True
    )
    rule_id = fields.Many2one("broker.monitoring.rule", readonly=True, ondelete="set null")
    route_action = fields.Selection(ACTIONS, string="Action", readonly=True)
    route_note = fields.Char(string="Routing", readonly=True)
    issue_mark = fields.Selection(
        [("our_bank", "Issued by our bank"), ("elsewhere", "Issued elsewhere")], readonly=True
    )
    deal_reopened = fields.Boolean(readonly=True)
    contacted = fields.Boolean(string="Client Contacted")
    date_contacted = fields.Date(string="Contacted On")

    _sql_constraints = [
        (
            "provider_external_uniq",
            "unique(provider_id, external_id)",
            "A provider cannot deliver the same signal twice.",
        ),
    ]

    @api.depends("signal_type", "partner_id", "subject_ref")
    def _compute_display_name(self):
        labels = dict(self._fields["signal_type"]._description_selection(self.env))
        show_subject = self._fields["subject_ref"].is_accessible(self.env)
        for signal in self:
            who = signal.partner_id.name or (show_subject and signal.subject_ref) or ""
            signal.display_name = f"{labels.get(signal.signal_type, '')}: {who}"

    def write(self, vals):
        # agents only record their follow-up; what the bureau sent and the routing stay as they are
        if (
            set(vals) - AGENT_WRITABLE
            and not self.env.su
            and not self.env.user.has_group("broker_crm.group_broker_manager")
        ):
            raise AccessError(self.env._("Only the follow-up of a bureau signal can be changed."))
        return super().write(vals)

    def action_mark_contacted(self):
        self.write({"contacted": True, "date_contacted": fields.Date.context_today(self)})

    def action_open_deal(self):
        """Open the client's deal, reopening or creating it as the win-back routing does."""
        self.ensure_one()
        self.check_access("read")
        if not self.subscription_id:
            raise UserError(self.env._("This signal matches no client on monitoring."))
        lead = self.subscription_id.lead_id
        if not lead or not lead.active or lead.broker_step in DEAL_OVER_STEPS:
            # reopening a deal or linking a new one to the subscription changes both: the user must be
            # allowed to, the routing then runs as the system (activities, followers, the new deal)
            self.subscription_id.check_access("write")
            if lead:
                lead.check_access("write")
            self.sudo()._route_win_back()
            lead = self.subscription_id.lead_id
        elif not self.lead_id:
            lead.check_access("read")
            # sudo: agents may only change follow-up fields; linking the deal they opened is one of them
            self.sudo().lead_id = lead
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------ parsing
    def _parse_item(self, item):
        """Bureau item -> (vals, None) or (None, reason of rejection)."""
        if isinstance(item, MalformedItem):
            return None, item.error
        if not isinstance(item, dict):
            return None, self.env._("not a JSON object")
        external_id = item.get("id")
        if isinstance(external_id, bool) or not isinstance(external_id, (str, int)) or not str(external_id).strip():
            return None, self.env._("no signal id")
        external_id = str(external_id).strip()
        if len(external_id) > MAX_ID_LENGTH:
            return None, self.env._("signal id longer than %(max)s characters", max=MAX_ID_LENGTH)
        signal_type = item.get("type")
        if signal_type not in self._signal_types():
            return None, self.env._("unknown signal type %(type)r", type=signal_type)
        subject = item.get("subject")
        if isinstance(subject, bool) or not isinstance(subject, (str, int)) or not str(subject).strip():
            return None, self.env._("no subject")
        try:
            signal_date = fields.Date.to_date(str(item.get("date") or "")[:10])
        except ValueError:
            signal_date = None
        if not signal_date:
            return None, self.env._("invalid date %(date)r", date=item.get("date"))
        raw_amount = item.get("amount") or 0.0
        try:
            amount = float(raw_amount) if not isinstance(raw_amount, bool) else -1.0
        except (TypeError, ValueError):
            amount = -1.0
        if amount < 0:
            return None, self.env._("invalid amount %(amount)r", amount=raw_amount)
        creditor = item.get("creditor") or ""
        if not isinstance(creditor, str):
            return None, self.env._("invalid creditor %(creditor)r", creditor=creditor)
        return {
            "external_id": external_id,
            "signal_type": signal_type,
            "subject_ref": str(subject).strip(),
            "signal_date": signal_date,
            "creditor": creditor.strip()[:256],
            "amount": amount,
            "payload": json.dumps(item, ensure_ascii=False),
        }, None

    def _signal_types(self):
        return {key for key, _label in SIGNAL_TYPES}

    # ------------------------------------------------------------------ ingest
    @api.model
    def _ingest(self, provider, run, items):
        """Store one page of raw items and route them, in a fixed number of queries."""
        rejections, new_vals, seen = [], [], set()
        duplicates = 0
        for item in items:
            vals, reason = self._parse_item(item)
            if reason:
                raw = item.raw if isinstance(item, MalformedItem) else json.dumps(item, ensure_ascii=False)
                ext = item.get("id") if isinstance(item, dict) else None
                rejections.append(
                    {"run_id": run.id, "external_id": str(ext)[:MAX_ID_LENGTH] if ext else False,
                     "reason": reason, "raw": raw[:5000]}
                )  # fmt: skip
                continue
            if vals["external_id"] in seen:
                duplicates += 1
                continue
            seen.add(vals["external_id"])
            new_vals.append(vals)
        if seen:
            self.env.cr.execute(
                "SELECT external_id FROM broker_monitoring_signal WHERE provider_id = %s AND external_id = ANY(%s)",
                (provider.id, list(seen)),
            )
            existing = {row[0] for row in self.env.cr.fetchall()}
            if existing:
                duplicates += sum(1 for vals in new_vals if vals["external_id"] in existing)
                new_vals = [vals for vals in new_vals if vals["external_id"] not in existing]
        signals = self.browse()
        if new_vals:
            currency_id = self.env.company.currency_id.id
            for vals in new_vals:
                vals.update(provider_id=provider.id, run_id=run.id, currency_id=currency_id)
            self._plan_routing(new_vals)
            signals = self._insert_rows(new_vals)
            # a row stored meanwhile by another worker is a duplicate, not an error
            duplicates += len(new_vals) - len(signals)
            signals._execute_routing()
        if rejections:
            self.env["broker.monitoring.rejection"].create(rejections)
        return {
            "fetched_count": len(items),
            "new_count": len(signals),
            "duplicate_count": duplicates,
            "rejected_count": len(rejections),
            "routed_count": len(signals.filtered(lambda s: s.state == "routed")),
        }

    @api.model
    def _insert_rows(self, vals_list):
        """One INSERT .. ON CONFLICT DO NOTHING per page.

        Signals have no computed or related stored fields, so a plain insert
        stores exactly what create() would, at a fraction of the cost; the
        unique (provider, external id) key makes a concurrent insert a no-op.
        """
        self.flush_model()
        now, uid = self.env.cr.now(), self.env.uid
        params = []
        for vals in vals_list:
            params += [None if vals.get(col) is False else vals.get(col) for col in INSERT_COLUMNS]
            params += [True, False, False, uid, now, uid, now]
        row = "(" + ", ".join(["%s"] * (len(INSERT_COLUMNS) + 7)) + ")"
        columns = (*INSERT_COLUMNS, "active", "contacted", "deal_reopened",
                   "create_uid", "create_date", "write_uid", "write_date")  # fmt: skip
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) VALUES %s ON CONFLICT (provider_id, external_id) DO NOTHING RETURNING id",
                SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(col) for col in columns),
                SQL(", ".join([row] * len(vals_list)), *params),
            )
        )
        ids = sorted(row[0] for row in self.env.cr.fetchall())
        # one2many caches that the new rows belong to
        self.env["broker.monitoring.subscription"].invalidate_model(["signal_ids"])
        self.env["crm.lead"].invalidate_model(["monitoring_signal_ids"])
        return self.browse(ids)

    @api.model
    def _match_subscriptions(self, refs):
        """Subject -> the subscription that decides routing (an active one first, then the latest)."""
        subscriptions = (
            self.env["broker.monitoring.subscription"]
            .with_context(active_test=False)
            .search([("subject_ref", "in", list(refs))])
        )
        best = {}
        for subscription in subscriptions.sorted(
            lambda s: (s.active and s.state == "active", s.date_start or fields.Date.today(), s.id)
        ):
            best[subscription.subject_ref] = subscription
        return best

    @api.model
    def _plan_routing(self, vals_list):
        """Fill subscription, owner, rule and state into the values before the batch create."""
        today = fields.Date.context_today(self)
        subscriptions = self._match_subscriptions({vals["subject_ref"] for vals in vals_list})
        rules = {(rule.signal_type, rule.reason): rule for rule in self.env["broker.monitoring.rule"].search([])}
        # plain values per subscription: the loop below runs once per signal
        notes = {
            "none": self.env._("No subscription for this subject."),
            "off": self.env._("Client is not on monitoring (subscription expired or cancelled)."),
            "no_consent": self.env._(
                "No valid consent of the client to request the credit history (218-FZ art. 6): stored only."
            ),
            "no_rule": self.env._("No routing rule: stored only."),
            "inbox": self.env._("Mass base: in the inbox, no activity."),
        }
        facts = {
            ref: {
                "subscription_id": sub.id,
                "reason": sub.reason,
                "partner_id": sub.partner_id.id,
                "lead_id": sub.lead_id.id,
                "user_id": (sub.lead_id.user_id or sub.user_id).id,
                "monitored": sub._is_monitored(today),
                "mass": sub.source == "import",
            }
            for ref, sub in subscriptions.items()
        }
        rules = {key: (rule.id, rule.action) for key, rule in rules.items()}
        # the consent must be valid now and on the event's date: one query for the whole page, the
        # latest end of the consents valid today per client (date.max: until withdrawn);
        # sudo: only the dates of the clients' consents are read, as in res.partner._broker_consent_valid
        consents = (
            self.env["broker.consent"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", [sub.partner_id.id for sub in subscriptions.values()]),
                 ("kind", "=", "credit_history"), ("withdrawn_on", "=", False), ("date_given", "<=", today),
                 "|", ("valid_until", "=", False), ("valid_until", ">=", today)],
                ["partner_id", "valid_until"],
            )
        )  # fmt: skip
        consent_ends = {}
        for consent in consents:
            until = consent.valid_until or date.max
            consent_ends[consent.partner_id.id] = max(until, consent_ends.get(consent.partner_id.id, until))

        def has_consent(partner_id, signal_date):
            return consent_ends.get(partner_id, date.min) >= max(today, signal_date)

        for vals in vals_list:
            fact = facts.get(vals["subject_ref"])
            vals["state"] = "not_routed"
            if not fact:
                vals["route_note"] = notes["none"]
                continue
            vals.update(
                subscription_id=fact["subscription_id"],
                reason=fact["reason"],
                partner_id=fact["partner_id"],
                lead_id=fact["lead_id"],
                user_id=fact["user_id"],
            )
            if not fact["monitored"]:
                vals["route_note"] = notes["off"]
                continue
            if not has_consent(fact["partner_id"], vals["signal_date"]):
                vals["route_note"] = notes["no_consent"]
                continue
            rule_id, action = rules.get((vals["signal_type"], fact["reason"]), (False, "none"))
            if action == "none":
                vals.update(route_note=notes["no_rule"], rule_id=rule_id)
                continue
            vals.update(state="routed", rule_id=rule_id, route_action=action, route_note=False)
            if fact["mass"] and action != "inbox":
                # a mass base means thousands of contacts: its signals wait in the inbox instead of
                # burying the per-client activities; the broker opens a deal from the signal
                vals.update(route_action="inbox", route_note=notes["inbox"])

    # ------------------------------------------------------------------ routing
    def _execute_routing(self):
        routed = self.filtered(lambda s: s.state == "routed" and s.route_action != "inbox")
        if not routed:
            return
        # per-batch lookups shared by every activity
        routed = routed.with_context(
            broker_monitoring_type_labels=dict(self._fields["signal_type"]._description_selection(self.env)),
            broker_monitoring_dates={},
        )
        by_action = defaultdict(routed.browse)
        for signal in routed:
            by_action[signal.route_action] |= signal
        activities = []
        if by_action["win_back"]:
            activities += by_action["win_back"]._route_win_back()
        if by_action["mark_issued"]:
            activities += by_action["mark_issued"]._route_mark_issued()
        for signal in by_action["activity"]:
            activities.append(signal._activity_vals(signal._summary()))
        for signal in by_action["overdue_alert"]:
            summary = self.env._(
                "Overdue alert: %(client)s is overdue at %(creditor)s",
                client=signal._client_name(),
                creditor=signal.creditor or "?",
            )
            activities.append(signal._activity_vals(summary))
        activities = [vals for vals in activities if vals]
        if activities:
            self._subscribe_assignees(activities)
            # no e-mail per activity: mass monitoring would flood mailboxes, the inbox is the channel
            self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(activities)

    def _subscribe_assignees(self, activities):
        """Make each assignee a follower once per record before the batch of activities.

        mail.activity.create() subscribes them itself, but two activities on the same record in one
        batch would insert the same follower twice and break the whole chunk.
        """
        targets = defaultdict(set)
        for vals in activities:
            targets[(vals["res_model_id"], vals["user_id"])].add(vals["res_id"])
        # sudo: reads the assignees' partners to subscribe them; nothing else is read or written
        users = self.env["res.users"].browse({user_id for _model, user_id in targets}).sudo()
        for (model_id, user_id), res_ids in targets.items():
            model = self.env["ir.model"].browse(model_id).sudo().model
            self.env[model].browse(res_ids).message_subscribe(partner_ids=users.browse(user_id).partner_id.ids)

    def _client_name(self):
        return self.partner_id.name or self.subject_ref

    def _summary(self):
        values = {"client": self._client_name(), "creditor": self.creditor or "?", "amount": self._amount_text()}
        if self.signal_type == "application":
            return self.env._("Bureau: %(client)s applied for a credit at %(creditor)s", **values)
        if self.signal_type == "credit_issued":
            return self.env._("Bureau: %(client)s got a credit at %(creditor)s (%(amount)s)", **values)
        if self.signal_type == "overdue":
            return self.env._("Bureau: %(client)s is overdue at %(creditor)s", **values)
        return self.env._("Bureau: %(client)s closed a credit at %(creditor)s", **values)

    def _amount_text(self):
        # whole units grouped by thin spaces, as bureaus report them; formatLang is too slow per signal
        if not self.amount:
            return "-"
        return f"{self.amount:,.0f}".replace(",", "\u00a0") + (
            f"\u00a0{self.currency_id.symbol}" if self.currency_id else ""
        )

    def _activity_vals(self, summary, target=None):
        """Activity on the deal when there is one, else on the subscription."""
        target = target or self.lead_id or self.subscription_id
        user = (target.user_id if target._name == "crm.lead" else False) or self.user_id
        if not user:
            return None
        labels = self.env.context.get("broker_monitoring_type_labels") or dict(
            self._fields["signal_type"]._description_selection(self.env)
        )
        dates = self.env.context.get("broker_monitoring_dates", {})
        if self.signal_date not in dates:
            dates[self.signal_date] = format_date(self.env, self.signal_date)
        details = self.env._(
            "%(type)s on %(date)s, creditor: %(creditor)s, amount: %(amount)s.",
            type=labels.get(self.signal_type),
            date=dates[self.signal_date],
            creditor=self.creditor or "-",
            amount=self._amount_text(),
        )
        note = Markup("<p>%s</p>") % details
        if self.rule_id.note:
            note += Markup("<p>%s</p>") % self.rule_id.note
        deadline = fields.Date.context_today(self) + timedelta(days=max(self.rule_id.deadline_days, 0))
        return {
            "res_model_id": self.env["ir.model"]._get_id(target._name),
            "res_id": target.id,
            # cached lookup: env.ref() would check existence once per activity
            "activity_type_id": self.env["ir.model.data"]._xmlid_to_res_id(
                "broker_monitoring.mail_activity_type_bureau_signal"
            ),
            "summary": summary,
            "note": note,
            "date_deadline": deadline,
            "user_id": user.id,
        }

    def _route_win_back(self):
        """Reopen the lost deal of the subscription, or open a new one, once per subscription."""
        Lead = self.env["crm.lead"]
        to_reopen, to_create, activities = Lead, {}, []  # to_create: subscription -> its signals
        for signal in self:
            lead = signal.subscription_id.lead_id
            if lead and not lead.active:
                to_reopen |= lead
            elif not lead or lead.broker_step in DEAL_OVER_STEPS:
                to_create.setdefault(signal.subscription_id, self.browse())
                to_create[signal.subscription_id] |= signal
        if to_reopen:
            to_reopen.action_unarchive()
            self.filtered(lambda s: s.subscription_id.lead_id in to_reopen).write({"deal_reopened": True})
        by_owner = defaultdict(list)
        for sub in to_create:
            by_owner[sub.user_id].append(sub)
        for owner, subscriptions in by_owner.items():
            # created on the owner's behalf: the deal is theirs, so no hand-over to-do on top of the
            # bureau activity; sudo keeps the system-driven routing independent of the owner's rights
            owner_lead = Lead.with_user(owner).sudo() if owner else Lead
            leads = owner_lead.create(
                [
                    {
                        "name": self.env._("Win-back: %(client)s", client=sub.partner_id.name),
                        "partner_id": sub.partner_id.id,
                        "user_id": owner.id,
                        "type": "opportunity",
                    }
                    for sub in subscriptions
                ]
            ).with_env(self.env)
            for sub, lead in zip(subscriptions, leads, strict=True):
                sub.lead_id = lead
                to_create[sub].write({"lead_id": lead.id, "deal_reopened": True})
        done = set()
        for signal in self:
            lead = signal.subscription_id.lead_id
            if lead.id in done:
                continue
            done.add(lead.id)
            summary = self.env._(
                "Win-back: %(client)s applies for a credit again (%(creditor)s). Call and offer help.",
                client=signal._client_name(),
                creditor=signal.creditor or "?",
            )
            if signal.signal_type != "application":
                summary = signal._summary()
            activities.append(signal._activity_vals(summary, target=lead))
        return activities

    def _route_mark_issued(self):
        """Credit issued while we support the deal: mark where, and prompt the fee flow."""
        activities = []
        for signal in self:
            lead = signal.lead_id
            if not lead or lead.broker_step not in ISSUE_WATCH_STEPS:
                activities.append(signal._activity_vals(signal._summary()))
                continue
            banks = [b.strip().lower() for b in (signal.subscription_id.applied_creditors or "").split(",")]
            creditor = (signal.creditor or "").lower()
            ours = bool(creditor) and any(bank and (bank in creditor or creditor in bank) for bank in banks)
            mark = "our_bank" if ours else "elsewhere"
            signal.issue_mark = mark
            lead.write(
                {
                    "monitoring_issue_mark": mark,
                    "monitoring_issue_creditor": signal.creditor,
                    "monitoring_issue_amount": signal.amount,
                    "monitoring_issue_date": signal.signal_date,
                }
            )
            values = {"client": signal._client_name(), "creditor": signal.creditor or "?"}
            if ours:
                summary = self.env._(
                    "Credit issued by our bank %(creditor)s to %(client)s: issue the act and the fee invoice",
                    **values,
                )
            else:
                summary = self.env._(
                    "Credit issued elsewhere (%(creditor)s) to %(client)s: check the contract, claim the fee",
                    **values,
                )
            activities.append(signal._activity_vals(summary))
        return activities
