from odoo import fields, models


class BrokerErasureLog(models.Model):
    _name = "broker.erasure.log"
    _description = "Personal Data Erasure Log"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", string="Client", required=True, index=True, ondelete="restrict")
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    user_id = fields.Many2one("res.users", string="Erased By", required=True, readonly=True)
    reason = fields.Selection(
        [("withdrawal", "Consent withdrawn, retention period over"), ("manager", "Erased early by a manager")],
        required=True,
        readonly=True,
    )
    categories = fields.Text(string="Erased Data", required=True, readonly=True)
