from odoo import api, fields, models
from odoo.exceptions import UserError


class BrokerDocumentRequestLine(models.Model):
    """One requested document: it is done when a file arrives on the deal's checklist line of that document."""

    _name = "broker.document.request.line"
    _description = "Requested Document"
    _order = "request_id, id"

    request_id = fields.Many2one("broker.document.request", required=True, ondelete="cascade", index=True)
    lead_id = fields.Many2one(related="request_id.lead_id", string="Deal")
    document_type_id = fields.Many2one("broker.document.type", string="Document", required=True, ondelete="restrict")
    document_id = fields.Many2one(
        "broker.lead.document",
        string="Checklist Line",
        readonly=True,
        ondelete="cascade",
        index=True,
        help="The deal's checklist line of this document, where the files land.",
    )
    done = fields.Boolean(string="Uploaded", readonly=True, copy=False)

    _sql_constraints = [
        ("request_document_uniq", "unique(request_id, document_type_id)", "This document is already requested."),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_admin(self):
        # a requested document is part of the request's history: the request is cancelled instead
        if not (self.env.su or self.env.user._is_admin()):
            raise UserError(self.env._("Requests for documents are not deleted: cancel them instead."))

    @api.model_create_multi
    def create(self, vals_list):
        self._broker_link_checklist(
            [
                vals
                for vals in vals_list
                if vals.get("request_id") and vals.get("document_type_id") and not vals.get("document_id")
            ]
        )
        return super().create(vals_list)

    @api.model
    def _broker_link_checklist(self, vals_list):
        """Point each new line at the deal's checklist line of its document; missing ones join the checklist."""
        if not vals_list:
            return
        requests = self.env["broker.document.request"].browse({vals["request_id"] for vals in vals_list})
        keys = [(requests.browse(vals["request_id"]).lead_id.id, vals["document_type_id"]) for vals in vals_list]
        Document = self.env["broker.lead.document"]
        existing = Document.search(
            [
                ("lead_id", "in", requests.lead_id.ids),
                ("document_type_id", "in", [type_id for _lead_id, type_id in keys]),
            ]
        )
        checklist = {(doc.lead_id.id, doc.document_type_id.id): doc.id for doc in existing}
        missing = list(dict.fromkeys(key for key in keys if key not in checklist))
        created = Document.create([{"lead_id": lead_id, "document_type_id": type_id} for lead_id, type_id in missing])
        checklist.update(zip(missing, created.ids, strict=True))
        for vals, key in zip(vals_list, keys, strict=True):
            vals["document_id"] = checklist[key]

    @api.model
    def _broker_documents_received(self, documents):
        """New files arrived on these checklist lines: the open requests waiting for them get them.

        A request whose every document arrived is done.
        """
        if not documents:
            return
        # sudo: the caller was allowed to add the files to these checklist lines (or is the portal
        # controller, behind the partner's deal); this only records on the requests of the same lines
        # that the files arrived
        lines = self.sudo().search(
            [("document_id", "in", documents.ids), ("done", "=", False), ("request_id.state", "=", "open")]
        )
        if not lines:
            return
        lines.done = True
        requests = lines.request_id
        requests.filtered(lambda request: all(request.line_ids.mapped("done")))._broker_close()
