from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # personal data of the client, for the staff who talk to clients (not accountants nor portal users)
    broker_personal_notes = fields.Text(
        string="Personal Notes",
        groups="sales_team.group_sale_salesman",
        help="Individual preferences of the client: what they like or dislike, how best to talk to them.",
    )
    broker_consultation_ids = fields.One2many(
        "broker.consultation", "partner_id", string="Consultations", groups="sales_team.group_sale_salesman"
    )
