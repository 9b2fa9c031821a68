from odoo import fields, models
from odoo.exceptions import UserError


class BrokerCommissionSettle(models.TransientModel):
    _name = "broker.commission.settle"
    _description = "Bill Due Partner Commissions"

    date_from = fields.Date(string="Due From")
    date_to = fields.Date(string="Due To", required=True, default=fields.Date.context_today)
    partner_ids = fields.Many2many("res.partner", string="Partners", domain="[('is_broker_partner', '=', True)]")
    group_by_partner = fields.Boolean(string="One Bill per Partner", default=True)

    def _domain(self):
        domain = [("state", "=", "due"), ("date_due", "<=", self.date_to), ("company_id", "in", self.env.companies.ids)]
        if self.date_from:
            domain.append(("date_due", ">=", self.date_from))
        if self.partner_ids:
            domain.append(("partner_id", "child_of", self.partner_ids.ids))
        return domain

    def action_settle(self):
        self.ensure_one()
        if self.date_from and self.date_from > self.date_to:
            raise UserError(self.env._("The start of the period is after its end."))
        commissions = self.env["broker.commission"].search(self._domain())
        if self.env.context.get("active_model") == "broker.commission" and self.env.context.get("active_ids"):
            commissions &= self.env["broker.commission"].browse(self.env.context["active_ids"])
        if not commissions:
            raise UserError(self.env._("No due commission in this period."))
        # lock and re-read: never bill a commission twice
        self.env.cr.execute(
            "SELECT id FROM broker_commission WHERE id IN %s FOR UPDATE NOWAIT", [tuple(commissions.ids)]
        )
        commissions.invalidate_recordset()
        # the self-employed partners' status is checked with the tax service first; those who lost it stay due
        billable = commissions.filtered(lambda c: c.state == "due")._prepare_billing()
        if not billable:
            # not an error: the status checks and the accountant's tasks they made are kept
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "sticky": True,
                    "message": self.env._(
                        "Nothing billed: the partners are no longer self-employed. Confirm «Bill as Individual» "
                        "on their commissions."
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        bills = billable._create_bills(group_by_partner=self.group_by_partner)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Partner Bills"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", bills.ids)],
        }
