import io
import os
import zipfile

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype

MAX_UPLOAD_SIZE = 10 * 1024 * 1024  # per file
# what one deal may hold in files, whoever uploaded them
MAX_DEAL_FILES = 50
MAX_DEAL_SIZE = 100 * 1024 * 1024

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# extension -> (stored mimetype, mimetypes the content may be sniffed as). The content decides:
# Odoo's sniffer (or libmagic when installed) must recognise the extension's own type.
ALLOWED_UPLOADS = {
    ".pdf": ("application/pdf", {"application/pdf"}),
    ".jpg": ("image/jpeg", {"image/jpeg"}),
    ".jpeg": ("image/jpeg", {"image/jpeg"}),
    ".png": ("image/png", {"image/png"}),
    ".heic": ("image/heic", {"image/heic", "image/heif"}),
    ".doc": ("application/msword", {"application/msword", "application/x-ole-storage", "application/CDFV2"}),
    ".docx": (_DOCX, {_DOCX}),
    ".xls": (
        "application/vnd.ms-excel",
        {"application/vnd.ms-excel", "application/x-ole-storage", "application/CDFV2"},
    ),
    ".xlsx": (_XLSX, {_XLSX}),
}
# HEIC is not known to Odoo's own sniffer: its ISO-BMFF "ftyp" box names the brand
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
# executables and scripts: the sniffer refuses them already, these only name them in the message
EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"#!",  # scripts
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
)
# macros: the VBA project of an OOXML package, its content types, and the VBA storage of OLE files
OOXML_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
OOXML_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"ms-office.vba")
OLE_MACRO_STORAGE = "_VBA_PROJECT".encode("utf-16-le")
# [Content_Types].xml is small; never inflate more than this of it
CONTENT_TYPES_MAX_SIZE = 1024 * 1024


def _has_macros(raw):
    if raw.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as package:
                names = package.namelist()
                if any(os.path.basename(name).lower() in OOXML_MACRO_PARTS for name in names):
                    return True
                if "[Content_Types].xml" in names:
                    with package.open("[Content_Types].xml") as content_types:
                        types = content_types.read(CONTENT_TYPES_MAX_SIZE).lower()
                    return any(marker in types for marker in OOXML_MACRO_CONTENT_TYPES)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            return True  # an unreadable package is refused like one with macros
        return False
    return OLE_MACRO_STORAGE in raw


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

    # ------------------------------------------------------------------ uploads
    @api.model
    def _check_upload(self, name, raw):
        """Return (mimetype, None) for an acceptable file, or (None, error message)."""
        ext = os.path.splitext(name or "")[1].lower()
        if ext not in ALLOWED_UPLOADS:
            return None, self.env._(
                "%(file)s: this file type is not accepted. Upload PDF, JPG, PNG, HEIC, DOC(X) or XLS(X).", file=name
            )
        if not raw:
            return None, self.env._("%(file)s is empty.", file=name)
        if len(raw) > MAX_UPLOAD_SIZE:
            return None, self.env._("%(file)s is too large: at most %(size)s MB per file.", file=name,
                                    size=MAX_UPLOAD_SIZE // (1024 * 1024))  # fmt: skip
        mimetype, accepted = ALLOWED_UPLOADS[ext]
        sniffed = guess_mimetype(raw, default="application/octet-stream")
        if ext == ".heic" and sniffed == "application/octet-stream":
            sniffed = "image/heic" if raw[4:8] == b"ftyp" and raw[8:12] in HEIC_BRANDS else sniffed
        if sniffed not in accepted:
            # the sniffer refuses programs too; their signature only words the message
            if raw.startswith(EXECUTABLE_SIGNATURES):
                return None, self.env._("%(file)s looks like a program: it is not accepted.", file=name)
            return None, self.env._("%(file)s: the content does not match its %(ext)s extension.", file=name, ext=ext)
        if ext in (".doc", ".docx", ".xls", ".xlsx") and _has_macros(raw):
            return None, self.env._("%(file)s contains macros: save it without macros and upload it again.",
                                    file=name)  # fmt: skip
        return mimetype, None

    @api.model
    def _check_deal_quota(self, lead, sizes):
        """Raise if new files of these sizes would take the deal over its limits (files already there included)."""
        # sudo: only the number and size of the deal's files are read, to enforce its quota
        existing = (
            self.env["ir.attachment"]
            .sudo()
            .search_read([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)], ["file_size"])
        )
        count = len(existing) + len(sizes)
        size = sum(att["file_size"] for att in existing) + sum(sizes)
        if count > MAX_DEAL_FILES or size > MAX_DEAL_SIZE:
            raise UserError(
                self.env._(
                    "A deal holds at most %(files)s files and %(size)s MB in total: these files do not fit. "
                    "Ask the broker team which files are still needed.",
                    files=MAX_DEAL_FILES,
                    size=MAX_DEAL_SIZE // (1024 * 1024),
                )
            )

    @api.model
    def _create_deal_attachments(self, lead, files):
        """Check the files (type, content, macros, quota) and store them on the deal.

        :param files: list of (filename, raw bytes[, claimed mimetype]); the content decides the mimetype
        """
        vals_list = []
        for name, raw, *_claimed in files:
            mimetype, error = self._check_upload(name, raw)
            if error:
                raise UserError(error)
            vals_list.append(
                {"name": name, "raw": raw, "mimetype": mimetype, "res_model": "crm.lead", "res_id": lead.id}
            )
        self._check_deal_quota(lead, [len(vals["raw"]) for vals in vals_list])
        return self.env["ir.attachment"].create(vals_list)

    def _attach_files(self, files):
        """Store uploaded files on the deal and link them to this checklist line.

        :param files: list of (filename, raw bytes[, claimed mimetype])
        """
        self.ensure_one()
        attachments = self._create_deal_attachments(self.lead_id, files)
        self.attachment_ids = [fields.Command.link(a.id) for a in attachments]
        return attachments
