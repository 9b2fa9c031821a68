from odoo import api, fields, models
from odoo.exceptions import AccessError


class BrokerConsultation(models.Model):
    _name = "broker.consultation"
    _description = "Consultation"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    active = fields.Boolean(default=True)
    lead_id = fields.Many2one("crm.lead", index=True, ondelete="restrict")
    partner_id = fields.Many2one(
        "res.partner", string="Client", compute="_compute_partner_id", store=True, readonly=False, index=True
    )
    user_id = fields.Many2one("res.users", string="Consultant", default=lambda self: self.env.user, required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    channel_id = fields.Many2one("broker.channel", compute="_compute_channel_id", store=True, readonly=False)
    mode = fields.Selection([("online", "Online"), ("offline", "In the office")], required=True, default="online")
    summary = fields.Text(required=True, help="What was discussed: needs, products, conditions and risks.")
    outcome = fields.Text(required=True, help="The result and the next agreed target action.")
    activity_id = fields.Many2one(
        "mail.activity", string="Consultation Task", ondelete="set null", readonly=True, copy=False, index=True
    )

    @api.depends("partner_id", "date")
    def _compute_name(self):
        for consultation in self:
            consultation.name = " / ".join(
                filter(None, [consultation.partner_id.display_name, fields.Datetime.to_string(consultation.date)])
            )

    @api.depends("lead_id")
    def _compute_partner_id(self):
        for consultation in self:
            if consultation.lead_id.partner_id:
                consultation.partner_id = consultation.lead_id.partner_id

    @api.depends("lead_id")
    def _compute_channel_id(self):
        for consultation in self:
            if consultation.lead_id.broker_channel_id:
                consultation.channel_id = consultation.lead_id.broker_channel_id

    @api.model_create_multi
    def create(self, vals_list):
        self._broker_check_vals(vals_list)
        consultations = super().create(vals_list)
        # link the lead's open consultation task, which can then be closed
        activity_type = self.env.ref("broker_service.mail_activity_type_consultation")
        for consultation in consultations.filtered(lambda c: c.lead_id and not c.activity_id):
            # sudo: the consultation task may be assigned to a colleague; it is only looked up and linked
            activity = (
                self.env["mail.activity"]
                .sudo()
                .search(
                    [
                        ("res_model", "=", "crm.lead"),
                        ("res_id", "=", consultation.lead_id.id),
                        ("activity_type_id", "=", activity_type.id),
                        ("id", "not in", self.sudo().search([("activity_id", "!=", False)]).activity_id.ids),
                    ],
                    order="date_deadline, id",
                    limit=1,
                )
            )
            if activity:
                # sudo: the link is written only here, users cannot set it (see _broker_check_vals)
                consultation.sudo().activity_id = activity
        return consultations

    def write(self, vals):
        self._broker_check_vals([vals])
        return super().write(vals)

    def _broker_check_vals(self, vals_list):
        """Linking a consultation to a deal adds to the deal's file: only who may change the deal does it.

        Otherwise the client and channel computed from the deal would show another agent's client. The
        consultation task is linked by the consultation itself, never by hand.
        """
        if self.env.su:
            return
        if any("activity_id" in vals for vals in vals_list):
            raise AccessError(self.env._("The consultation task is linked automatically."))
        lead_ids = {vals["lead_id"] for vals in vals_list if vals.get("lead_id")}
        self.env["crm.lead"].browse(lead_ids).check_access("write")
