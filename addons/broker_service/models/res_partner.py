from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    broker_personal_notes = fields.Text(
        string="Personal Notes",
        help="Individual preferences of the client: what they like or dislike, how best to talk to them.",
    )
    broker_consultation_ids = fields.One2many("broker.consultation", "partner_id", string="Consultations")
