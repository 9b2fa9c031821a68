from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    installment_application_ids = fields.One2many(
        "broker.installment.application", "opportunity_id", string="Installment Applications"
    )
