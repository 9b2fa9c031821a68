from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.base.models.ir_qweb import QWebException

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestContractPdf(BrokerCrmCommon, HttpCase):
    """HttpCase: wkhtmltopdf loads the report's styles from the running test server."""

    def test_contract_pdf(self):
        lead = self._new_deal(
            partner_name="Stroymontazh LLC", client_inn="7707083893", contract_number="BR-78",
        )  # fmt: skip
        Report = self.env["ir.actions.report"].with_user(self.user_agent).with_context(force_report_rendering=True)
        pdf, fmt = Report._render_qweb_pdf("broker_crm.action_report_broker_contract", lead.ids)
        self.assertEqual(fmt, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        # another agent cannot print a deal they do not see (a new request starts with an empty cache)
        self.env.invalidate_all()
        with self.assertRaises(Exception) as catcher:
            Report.with_user(self.user_agent2)._render_qweb_pdf("broker_crm.action_report_broker_contract", lead.ids)
        self.assertIsInstance(catcher.exception, (AccessError, QWebException))
        self.assertIn("crm.lead", str(catcher.exception))
