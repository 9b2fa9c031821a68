import io
import os
import zipfile
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools.mimetypes import guess_mimetype

MAX_UPLOAD_SIZE = 10 * 1024 * 1024  # per file
# what one deal may hold in files, whoever uploaded them
MAX_DEAL_FILES = 50
MAX_DEAL_SIZE = 100 * 1024 * 1024
# a document is "expiring" this many days before its validity ends
EXPIRING_SOON_DAYS = 7
# the executor is told this many days before a document needed by an open bank application expires
EXPIRY_NOTICE_DAYS = 5

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
    date_issued = fields.Date(
        string="Issued On", help="The date on the document; filled with the upload date when left empty."
    )
    date_valid_until = fields.Date(
        string="Valid Until",
        compute="_compute_date_valid_until",
        store=True,
        readonly=False,
        help="Counted from the issue date with the document type's validity; enter it by hand for documents that "
        "carry their own date (a passport).",
    )
    validity_state = fields.Selection(
        [("valid", "Valid"), ("expiring", "Expires Soon"), ("expired", "Expired")],
        string="Validity",
        compute="_compute_validity_state",
        search="_search_validity_state",
    )
    # the valid-until date the executor was last told about: a new document resets the notice
    expiry_notified_until = fields.Date(copy=False, readonly=True)

    _sql_constraints = [
        ("lead_document_uniq", "unique(lead_id, document_type_id)", "This document is already on the checklist."),
    ]

    @api.depends("attachment_ids")
    def _compute_state(self):
        for line in self:
            line.state = "received" if line.attachment_ids else "missing"

    @api.depends("date_issued", "document_type_id.validity_days")
    def _compute_date_valid_until(self):
        for line in self:
            days = line.document_type_id.validity_days
            if line.date_issued and days > 0:
                line.date_valid_until = line.date_issued + timedelta(days=days)
            elif days > 0:
                line.date_valid_until = False

    def _compute_validity_state(self):
        today = fields.Date.context_today(self)
        for line in self:
            until = line.state == "received" and line.date_valid_until
            if not until:
                line.validity_state = False
            elif until < today:
                line.validity_state = "expired"
            elif until <= today + timedelta(days=EXPIRING_SOON_DAYS):
                line.validity_state = "expiring"
            else:
                line.validity_state = "valid"

    def _search_validity_state(self, operator, value):
        if operator not in ("=", "in") or not value:
            raise UserError(self.env._("Unsupported search on document validity."))
        today = fields.Date.context_today(self)
        soon = today + timedelta(days=EXPIRING_SOON_DAYS)
        ranges = {
            "expired": [("date_valid_until", "<", today)],
            "expiring": [("date_valid_until", ">=", today), ("date_valid_until", "<=", soon)],
            "valid": [("date_valid_until", ">", soon)],
        }
        values = [value] if isinstance(value, str) else value
        domains = [[("state", "=", "received"), *ranges[v]] for v in values if v in ranges]
        return expression.OR(domains) if domains else expression.FALSE_DOMAIN

    @api.onchange("attachment_ids")
    def _onchange_attachment_ids(self):
        if self.attachment_ids and not self.date_issued:
            self.date_issued = fields.Date.context_today(self)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.filtered(lambda line: line.attachment_ids and not line.date_issued)._broker_files_added()
        return lines

    def write(self, vals):
        before = {line.id: set(line.attachment_ids.ids) for line in self} if "attachment_ids" in vals else {}
        res = super().write(vals)
        if before:
            received = self.filtered(lambda line: set(line.attachment_ids.ids) - before[line.id])
            received._broker_files_added(date_given="date_issued" in vals)
        return res

    def _broker_files_added(self, date_given=False):
        """New files arrived on these checklist lines (backend, portal or any other route).

        A new file is a new document: unless its issue date is given, it is taken as issued today.
        """
        if not date_given:
            self.date_issued = fields.Date.context_today(self)
        self.env["broker.document.request.line"]._broker_documents_received(self)

    # ------------------------------------------------------------------ jobs
    @api.model
    def _cron_document_expiry(self):
        """Daily: documents needed by an open bank application and about to expire reach the executor."""
        today = fields.Date.context_today(self)
        activity_type = self.env.ref("broker_crm.mail_activity_type_credit_support")
        lines = self.search(
            [
                ("state", "=", "received"),
                ("date_valid_until", ">=", today),
                ("date_valid_until", "<=", today + timedelta(days=EXPIRY_NOTICE_DAYS)),
                ("lead_id.bank_application_ids.is_open", "=", True),
            ]
        )
        lines = lines.filtered(lambda line: line.expiry_notified_until != line.date_valid_until)
        for line in lines:
            lead = line.lead_id
            needed = lead.bank_application_ids.filtered("is_open")
            if not any(line.document_type_id in app._required_document_types() for app in needed):
                continue
            lead.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self.env._(
                    "%(doc)s expires on %(date)s",
                    doc=line.document_type_id.name,
                    date=fields.Date.to_string(line.date_valid_until),
                ),
                note=self.env._(
                    "Ask the client for a new %(doc)s: the open bank applications need a valid one.",
                    doc=line.document_type_id.name,
                ),
                date_deadline=line.date_valid_until,
                user_id=(lead.executor_id or lead.user_id or self.env.user).id,
            )
            line.expiry_notified_until = line.date_valid_until

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
            return None, self.env._(
                "%(file)s is too large: at most %(size)s MB per file.", file=name, size=MAX_UPLOAD_SIZE // (1024 * 1024)
            )
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
            return None, self.env._("%(file)s contains macros: save it without macros and upload it again.", file=name)
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
