from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    monitoring_subscription_ids = fields.One2many(
        "broker.monitoring.subscription", "lead_id", string="Monitoring Subscriptions"
    )
    monitoring_signal_ids = fields.One2many("broker.monitoring.signal", "lead_id", string="Bureau Signals")
    monitoring_signal_count = fields.Integer(compute="_compute_monitoring_signal_count", string="Bureau Signals Count")
    monitoring_issue_mark = fields.Selection(
        [("our_bank", "Issued by our bank"), ("elsewhere", "Issued elsewhere")],
        string="Bureau: Credit Issued",
        copy=False,
        tracking=True,
        help="Set from a bureau signal while the deal is between the contract and the issue.",
    )
    monitoring_issue_creditor = fields.Char(string="Bureau: Creditor", copy=False)
    monitoring_issue_amount = fields.Monetary(
        string="Bureau: Issued Amount", currency_field="company_currency", copy=False
    )
    monitoring_issue_date = fields.Date(string="Bureau: Issued On", copy=False)

    def _compute_monitoring_signal_count(self):
        counts = dict(
            self.env["broker.monitoring.signal"]._read_group([("lead_id", "in", self.ids)], ["lead_id"], ["__count"])
        )
        for lead in self:
            lead.monitoring_signal_count = counts.get(lead, 0)

    def action_view_monitoring_signals(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("broker_monitoring.broker_monitoring_signal_action")
        action["domain"] = [("lead_id", "in", self.ids)]
        action["context"] = {}
        return action

    def action_put_on_monitoring(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "broker_monitoring.broker_monitoring_subscribe_wizard_action_lead"
        )
        action["context"] = {"active_model": "crm.lead", "active_ids": self.ids}
        return action
