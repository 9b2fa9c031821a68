import base64

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
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
    """Completes the demo office with what only the real flows can produce: received documents,
    checked criteria, and the accountant's side of steps 11-12 (invoices, payments, signed acts,
    partner commissions and bills in every state). Called from demo data only."""

    _name = "broker.demo"
    _description = "Credit Broker Demo Office"

    @api.model
    def _load_office(self):
        deals = self.env["crm.lead"].with_context(active_test=False)
        for xmlid in DEMO_DEALS:
            deals |= self.env.ref(f"broker_crm.{xmlid}")
        self._receive_documents(deals)
        self._check_criteria(deals)
        self._account(deals)

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

    # ------------------------------------------------------------------ steps 11-12
    @api.model
    def _account(self, deals):
        today = fields.Date.context_today(self)
        company = self.env.company
        # billed: invoice paid and act signed, the partner's bill is a draft
        act = self._deal("lead_demo_act")
        self._invoice(act, today - relativedelta(days=15), paid=True)
        self._sign_act(act, today - relativedelta(days=5))
        # waiting: the client has not paid yet
        self._invoice(self._deal("lead_demo_act_waiting"), today - relativedelta(days=10))
        # due: the accountant bills partners in batches here (automatic bills off for a moment)
        auto_bill = company.broker_commission_auto_bill
        company.broker_commission_auto_bill = False
        due = self._deal("lead_demo_act_due")
        self._invoice(due, today - relativedelta(days=20), paid=True)
        self._sign_act(due, today - relativedelta(days=2))
        company.broker_commission_auto_bill = auto_bill
        # paid: the partner's bill posted and paid
        closed = self._deal("lead_demo_closed")
        self._invoice(closed, today - relativedelta(days=75), paid=True)
        self._sign_act(closed, today - relativedelta(days=60))
        bill = closed.commission_ids.bill_id
        if bill:
            bill.invoice_date = today - relativedelta(days=55)
            bill.action_post()
            self._pay(bill, today - relativedelta(days=45))
        # cancelled: the invoice was credited back
        cancelled = self._deal("lead_demo_cancelled")
        invoice = self._invoice(cancelled, today - relativedelta(days=45))
        invoice._reverse_moves([{"ref": "Клиент расторг договор", "invoice_date": invoice.invoice_date}], cancel=True)

    @api.model
    def _invoice(self, lead, date, paid=False):
        lead.action_create_invoice()
        invoice = lead.invoice_id
        invoice.invoice_date = date
        invoice.action_post()
        if paid:
            self._pay(invoice, date + relativedelta(days=3))
        return invoice

    @api.model
    def _pay(self, move, date):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
            {"payment_date": date}
        )._create_payments()

    @api.model
    def _sign_act(self, lead, date):
        with file_open("broker_crm/static/demo/signed_act.pdf", "rb") as pdf:
            scan = pdf.read()
        self.env["broker.act.signed"].create(
            {"lead_id": lead.id, "date": date, "scan": base64.b64encode(scan), "scan_name": "Акт (подписан).pdf"}
        ).action_confirm()
