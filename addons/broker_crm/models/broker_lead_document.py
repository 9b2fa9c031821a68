from odoo import api, fields, models


class BrokerLeadDocument(models.Model):
    _name = "broker.lead.document"
    _description = "Deal Document Checklist Line"
    _order = "lead_id, sequence, id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    document_type_id = fields.Many2one("broker.document.type", string="Document", required=True, ondelete="restrict")
    sequence = fields.Integer(related="document_type_id.sequence", store=True)
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "broker_lead_document_attachment_rel",
        "document_id",
        "attachment_id",
        string="Files",
        domain="[('res_model', '=', 'crm.lead'), ('res_id', '=', lead_id)]",
    )
    state = fields.Selection(
        [("missing", "Missing"), ("received", "Received")],
        compute="_compute_state",
        store=True,
    )
    note = fields.Char()

    _sql_constraints = [
        ("lead_document_uniq", "unique(lead_id, document_type_id)", "This document is already on the checklist."),
    ]

    @api.depends("attachment_ids")
    def _compute_state(self):
        for line in self:
            line.state = "received" if line.attachment_ids else "missing"

    def attach_files(self, files):
        """Store uploaded files on the deal and link them to this checklist line.

        :param files: list of (filename, raw bytes, mimetype)
        """
        self.ensure_one()
        attachments = self.env["ir.attachment"].create(
            [
                {"name": name, "raw": raw, "mimetype": mimetype, "res_model": "crm.lead", "res_id": self.lead_id.id}
                for name, raw, mimetype in files
            ]
        )
        self.attachment_ids = [fields.Command.link(a.id) for a in attachments]
        return attachments
