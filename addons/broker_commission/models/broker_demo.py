import base64

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools.misc import file_open


class BrokerDemo(models.AbstractModel):
    """The accountant's side of steps 11-12 in the demo office: invoices, payments, signed acts,
    partner commissions and bills in every state, through the real flows. Called from demo data only."""

    _inherit = "broker.demo"

    @api.model
    def _load_accounting(self):
        if self._deal("lead_demo_act").invoice_id:
            return  # done already, e.g. by broker_crm before the money side became this addon
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
        with file_open("broker_commission/static/demo/signed_act.pdf", "rb") as pdf:
            scan = pdf.read()
        self.env["broker.act.signed"].create(
            {"lead_id": lead.id, "date": date, "scan": base64.b64encode(scan), "scan_name": "Акт (подписан).pdf"}
        ).action_confirm()
