import io
import zipfile

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..models.broker_lead_document import MAX_DEAL_FILES, MAX_DEAL_SIZE

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCM_TYPES = DOCX_TYPES.replace(
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    b"application/vnd.ms-word.document.macroEnabled.main+xml",
)
XLSX_TYPES = DOCX_TYPES.replace(b"/word/document.xml", b"/xl/workbook.xml")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


def _word97(vba=False):
    """A minimal OLE compound file that Odoo's sniffer reads as a Word 97 document."""
    raw = OLE_MAGIC + b"\x00" * (0x200 - len(OLE_MAGIC)) + b"\xec\xa5\xc1\x00" + b"\x00" * 600
    if vba:
        raw += "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 64
    return raw


DOCX = _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": XLSX_TYPES, "xl/workbook.xml": b"<workbook/>"})


@tagged("post_install", "-at_install")
class TestPortalUploads(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Document = cls.env["broker.lead.document"]
        doc_type = cls.env["broker.document.type"].create({"name": "Statement"})
        product = cls.env["broker.credit.product"].create(
            {"name": "Upload product", "code": "UPLOAD", "document_type_ids": [(6, 0, doc_type.ids)]}
        )
        cls.deal = cls.env["crm.lead"].create(
            {"name": "Upload deal", "type": "opportunity", "credit_product_id": product.id}
        )
        cls.line = cls.deal.document_ids

    def _error(self, name, raw):
        return self.Document._check_upload(name, raw)[1]

    def test_office_documents_are_sniffed(self):
        accepted = {
            "statement.pdf": PDF,
            "form.docx": DOCX,
            "table.xlsx": XLSX,
            "old.doc": _word97(),
        }
        for name, raw in accepted.items():
            with self.subTest(name=name):
                self.assertFalse(self._error(name, raw))
        refused = {
            # any ZIP is not a Word document
            "archive.docx": (_zip({"readme.txt": b"hello"}), "does not match"),
            "sheet.docx": (XLSX, "does not match"),
            "form.xlsx": (DOCX, "does not match"),
            "scan.pdf": (DOCX, "does not match"),
            "old.doc": (PDF, "does not match"),
        }
        for name, (raw, message) in refused.items():
            with self.subTest(name=name):
                self.assertIn(message, self._error(name, raw))

    def test_macros_are_refused(self):
        refused = {
            "macro.docm": DOCX,
            "macro.xlsm": XLSX,
            "macro.dotm": DOCX,
            "vba.docx": _zip(
                {
                    "[Content_Types].xml": DOCX_TYPES,
                    "word/document.xml": b"<w:document/>",
                    "word/vbaProject.bin": b"\x00" * 16,
                }
            ),
            "vba.xlsx": _zip(
                {
                    "[Content_Types].xml": XLSX_TYPES,
                    "xl/workbook.xml": b"<workbook/>",
                    "xl/vbaProject.bin": b"\x00" * 16,
                }
            ),
            "typed.docx": _zip({"[Content_Types].xml": DOCM_TYPES, "word/document.xml": b"<w:document/>"}),
            "vba.doc": _word97(vba=True),
        }
        for name, raw in refused.items():
            with self.subTest(name=name):
                error = self._error(name, raw)
                self.assertTrue(error)
                if not name.endswith("m"):
                    self.assertIn("macros", error)
                with self.assertRaises(UserError):
                    self.line._attach_files([(name, raw)])
        self.assertFalse(self.line.attachment_ids)

    def test_attach_checks_content_and_decides_mimetype(self):
        with self.assertRaisesRegex(UserError, "does not match"):
            self.line._attach_files([("ok.pdf", PDF), ("fake.pdf", DOCX, "application/pdf")])
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "crm.lead"), ("res_id", "=", self.deal.id)])
        )
        attachments = self.line._attach_files([("form.docx", DOCX, "application/pdf")])
        self.assertEqual(
            attachments.mimetype, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        self.assertEqual(self.line.state, "received")

    def test_deal_quota(self):
        Attachment = self.env["ir.attachment"]
        Attachment.create(
            [
                {"name": f"f{i}.pdf", "raw": PDF, "res_model": "crm.lead", "res_id": self.deal.id}
                for i in range(MAX_DEAL_FILES - 1)
            ]
        )
        self.line._attach_files([("last.pdf", PDF)])
        with self.assertRaisesRegex(UserError, f"at most {MAX_DEAL_FILES} files"):
            self.line._attach_files([("one-too-many.pdf", PDF)])
        self.assertEqual(
            Attachment.search_count([("res_model", "=", "crm.lead"), ("res_id", "=", self.deal.id)]), MAX_DEAL_FILES
        )
        # the size: what is there plus what comes in
        other = self.env["crm.lead"].create({"name": "Size deal", "type": "opportunity"})
        Attachment.create({"name": "a.pdf", "raw": PDF, "res_model": "crm.lead", "res_id": other.id})
        self.Document._check_deal_quota(other, [MAX_DEAL_SIZE - len(PDF)])
        with self.assertRaisesRegex(UserError, "MB in total"):
            self.Document._check_deal_quota(other, [MAX_DEAL_SIZE - len(PDF) + 1])
