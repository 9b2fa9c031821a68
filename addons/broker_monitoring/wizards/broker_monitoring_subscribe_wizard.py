from odoo import api, fields, models

from ..models.broker_monitoring_subscription import REASONS


class BrokerMonitoringSubscribeWizard(models.TransientModel):
    _name = "broker.monitoring.subscribe.wizard"
    _description = "Put Clients on Monitoring"

    lead_ids = fields.Many2many("crm.lead", string="Deals")
    partner_ids = fields.Many2many("res.partner", string="Contacts")
    reason = fields.Selection(REASONS, required=True, default="contract_control")
    date_start = fields.Date(string="Start", required=True, default=fields.Date.context_today)
    date_end = fields.Date(string="Planned end", compute="_compute_date_end", store=True, readonly=False)
    user_id = fields.Many2one(
        "res.users", string="Responsible", help="Leave empty to use each deal's owner, or yourself for contacts."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, ids = self.env.context.get("active_model"), self.env.context.get("active_ids") or []
        if model == "crm.lead" and "lead_ids" in fields_list:
            values["lead_ids"] = [(6, 0, ids)]
        elif model == "res.partner" and "partner_ids" in fields_list:
            values["partner_ids"] = [(6, 0, ids)]
        return values

    @api.depends("reason", "date_start")
    def _compute_date_end(self):
        for wizard in self:
            wizard.date_end = (
                self.env["broker.monitoring.subscription"]
                .new({"reason": wizard.reason, "date_start": wizard.date_start})
                .date_end
            )

    def action_confirm(self):
        self.ensure_one()
        # watching a deal routes its client's signals into it: only deals the user may change. The
        # deals are read as the system, as reading them as the user would silently drop the others
        # instead of saying no
        self.sudo().lead_ids.with_env(self.env).check_access("write")
        vals_list = []
        for lead in self.lead_ids:
            if not lead.partner_id:
                lead._handle_partner_assignment(create_missing=True)
            vals_list.append({"partner_id": lead.partner_id.id, "lead_id": lead.id,
                              "user_id": (self.user_id or lead.user_id or self.env.user).id})  # fmt: skip
        vals_list += [
            {"partner_id": partner.id, "user_id": (self.user_id or self.env.user).id} for partner in self.partner_ids
        ]
        Subscription = self.env["broker.monitoring.subscription"]
        # a client already on monitoring keeps their running subscription (one per person);
        # sudo: it may be another agent's, only whose client is watched is read
        watched = set(
            Subscription.sudo()
            .search([("partner_id", "in", [v["partner_id"] for v in vals_list]), ("state", "=", "active")])
            .partner_id.ids
        )
        # no monitoring without the client's consent to request the credit history from the start
        # (218-FZ art. 6); the planned end is capped to the consent when the subscription is created
        consented = set(
            self.env["res.partner"]
            .browse({vals["partner_id"] for vals in vals_list})
            ._broker_consent_valid("credit_history", self.date_start)
            .ids
        )
        todo, refused = [], self.env["res.partner"]
        for vals in vals_list:
            if vals["partner_id"] in watched:
                continue
            watched.add(vals["partner_id"])
            if vals["partner_id"] not in consented:
                refused |= self.env["res.partner"].browse(vals["partner_id"])
                continue
            todo.append(dict(vals, reason=self.reason, date_start=self.date_start, date_end=self.date_end,
                             source="bulk"))  # fmt: skip
        subscriptions = Subscription.create(todo)
        skipped = len(vals_list) - len(todo) - len(refused)
        message = self.env._(
            "%(count)s client(s) put on monitoring, %(skipped)s already on monitoring.",
            count=len(subscriptions),
            skipped=skipped,
        )
        if refused:
            message += " " + self.env._(
                "Refused for lack of a valid consent to request the credit history (218-FZ art. 6): %(clients)s.",
                clients=", ".join(refused.mapped("display_name")),
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "broker_monitoring.broker_monitoring_subscription_action"
        )
        action.update(domain=[("id", "in", subscriptions.ids)], context={}, help=False)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if refused else "success",
                "sticky": bool(refused),
                "next": action,
            },
        }
