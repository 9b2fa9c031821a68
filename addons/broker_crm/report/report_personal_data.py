from odoo import api, models
from odoo.exceptions import AccessError


class ReportPersonalData(models.AbstractModel):
    _name = "report.broker_crm.report_personal_data"
    _description = "Personal Data Held About a Client"

    @api.model
    def _get_report_values(self, docids, data=None):
        if not self.env.user.has_group("broker_crm.group_broker_manager"):
            raise AccessError(self.env._("Only a broker manager exports what is held about a client."))
        partners = self.env["res.partner"].browse(docids)
        leads = self.env["crm.lead"].with_context(active_test=False).search([("partner_id", "in", partners.ids)])
        attachments = self.env["ir.attachment"].search([("res_model", "=", "crm.lead"), ("res_id", "in", leads.ids)])
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "deals": {p.id: leads.filtered(lambda lead, p=p: lead.partner_id == p) for p in partners},
            "files": {
                lead.id: attachments.filtered(lambda a, lead=lead: a.res_id == lead.id).mapped("name") for lead in leads
            },
        }
