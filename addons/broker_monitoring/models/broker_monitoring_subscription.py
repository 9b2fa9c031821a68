from odoo import fields, models


class BrokerMonitoringSubscription(models.Model):
    _name = "broker.monitoring.subscription"
    _description = "Credit Bureau Monitoring Subscription"
    _inherit = ["mail.thread"]
    _order = "date_end, id"

    partner_id = fields.Many2one("res.partner", string="Client", required=True, tracking=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", tracking=True)
    reason = fields.Selection(
        [
            ("contract_control", "Contract to credit issue"),
            ("win_back", "Win-back"),
            ("existing", "Existing client"),
            ("preparing", "Preparing for credit"),
            ("long_pause", "Long pause"),
        ],
        required=True,
        default="contract_control",
        tracking=True,
    )
    date_start = fields.Date(string="Start", required=True, default=fields.Date.context_today)
    date_end = fields.Date(string="Planned end")
    state = fields.Selection(
        [("active", "Active"), ("expired", "Expired"), ("cancelled", "Cancelled")],
        default="active",
        required=True,
        tracking=True,
    )
