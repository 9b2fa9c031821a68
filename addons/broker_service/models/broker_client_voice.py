from odoo import api, fields, models


class BrokerClientVoice(models.Model):
    _name = "broker.client.voice"
    _description = "Voice of the Client"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"
    _rec_name = "kind"

    active = fields.Boolean(default=True)
    partner_id = fields.Many2one(
        "res.partner", string="Client", compute="_compute_partner_id", store=True, readonly=False, index=True
    )
    lead_id = fields.Many2one("crm.lead", index=True, ondelete="set null")
    user_id = fields.Many2one("res.users", string="Recorded By", default=lambda self: self.env.user, required=True)
    kind = fields.Selection(
        [("request", "Request"), ("wish", "Wish"), ("complaint", "Complaint")], required=True, default="request"
    )
    product_offered = fields.Boolean(
        string="We Offer It", help="Unset for requests about products or directions the company does not offer."
    )
    text = fields.Text(string="Description", required=True)
    state = fields.Selection(
        [("new", "New"), ("reported", "Reported to Management"), ("done", "Addressed"), ("rejected", "Rejected")],
        default="new",
        required=True,
        tracking=True,
    )

    @api.depends("lead_id")
    def _compute_partner_id(self):
        for voice in self:
            if voice.lead_id.partner_id:
                voice.partner_id = voice.lead_id.partner_id

    @api.model_create_multi
    def create(self, vals_list):
        self._broker_check_lead(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._broker_check_lead([vals])
        return super().write(vals)

    def _broker_check_lead(self, vals_list):
        """Linking a record to a deal adds to the deal's file: only who may change the deal does it.

        Otherwise the client computed from the deal would show another agent's client.
        """
        lead_ids = {vals["lead_id"] for vals in vals_list if vals.get("lead_id")}
        self.env["crm.lead"].browse(lead_ids).check_access("write")
