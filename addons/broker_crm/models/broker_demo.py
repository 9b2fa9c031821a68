from odoo import api, models
from odoo.tools.misc import file_open

from .crm_stage import STEP_INDEX

DEMO_DEALS = (
    "lead_demo_new",
    "lead_demo_partner_new",
    "lead_demo_pre_analysis",
    "lead_demo_documents",
    "lead_demo_partner2_docs",
    "lead_demo_range",
    "lead_demo_range_agreed",
    "lead_demo_contract_data",
    "lead_demo_contract_sent",
    "lead_demo_support",
    "lead_demo_approved",
    "lead_demo_issued",
    "lead_demo_act",
    "lead_demo_act_waiting",
    "lead_demo_act_due",
    "lead_demo_closed",
    "lead_demo_cancelled",
    "lead_demo_lost",
)


class BrokerDemo(models.AbstractModel):
    """Completes the demo office with what only the real flows can produce: received documents and
    checked criteria (broker_commission adds the accountant's side of steps 11-12). Called from demo
    data only."""

    _name = "broker.demo"
    _description = "Credit Broker Demo Office"

    @api.model
    def _load_office(self):
        deals = self.env["crm.lead"].with_context(active_test=False)
        for xmlid in DEMO_DEALS:
            deals |= self.env.ref(f"broker_crm.{xmlid}")
        self._receive_documents(deals)
        self._check_criteria(deals)

    def _deal(self, xmlid):
        return self.env.ref(f"broker_crm.{xmlid}").with_context(active_test=False)

    @api.model
    def _receive_documents(self, deals):
        """From the document analysis on, every document of the checklist has been received."""
        with file_open("broker_crm/static/demo/document.pdf", "rb") as pdf:
            raw = pdf.read()
        for lead in deals.filtered(lambda d: STEP_INDEX.get(d.broker_step, -1) >= STEP_INDEX["documents"]):
            for line in lead.document_ids.filtered(lambda line: line.state == "missing"):
                name = line.document_type_id.with_context(lang="ru_RU").name
                line._attach_files([(f"{name}.pdf", raw, "application/pdf")])

    @api.model
    def _check_criteria(self, deals):
        """Past the pre-analysis every criterion is met; in it, the agent is half-way through."""
        for lead in deals:
            if STEP_INDEX.get(lead.broker_step, -1) > STEP_INDEX["pre_analysis"]:
                lead.criterion_ids.result = "pass"
            elif lead.broker_step == "pre_analysis" and lead.criterion_ids:
                lead.criterion_ids[0].result = "pass"
