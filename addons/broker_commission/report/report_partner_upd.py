from odoo import api, models
from odoo.exceptions import UserError

# A UPD is a seller's accounting document: companies and sole traders issue it (402-FZ art. 9);
# a self-employed person gives a «Мой налог» receipt and an individual signs the partner's act.
UPD_TAX_STATUSES = ("company", "sole_trader")


class ReportPartnerUpd(models.AbstractModel):
    _name = "report.broker_commission.report_partner_upd"
    _description = "Partner UPD (Status 2)"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["broker.commission"].browse(docids)
        # sudo: only the partners' tax status is read, to refuse a document they cannot issue
        partners = docs.partner_id.commercial_partner_id.sudo()
        wrong = partners.filtered(lambda p: p.broker_tax_status and p.broker_tax_status not in UPD_TAX_STATUSES)
        if wrong:
            raise UserError(
                self.env._(
                    "A UPD is issued by companies and sole traders only. %(partners)s: print the partner's act "
                    "instead (a self-employed partner also gives a «Мой налог» receipt).",
                    partners=", ".join(wrong.mapped("name")),
                )
            )
        return {"doc_ids": docids, "doc_model": "broker.commission", "docs": docs}
