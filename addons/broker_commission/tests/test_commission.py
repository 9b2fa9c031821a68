import base64

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import mail_new_test_user

ACT_SCAN = base64.b64encode(b"%PDF-1.4 signed act")


@tagged("post_install", "-at_install")
class TestCommission(AccountTestInvoicingCommon):
    """Steps 11-12 of the partner process, in a company keeping its books in roubles."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        return super().setup_independent_company(currency_id=cls._enable_currency("RUB").id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.agent = mail_new_test_user(cls.env, login="c_agent", groups="broker_crm.group_broker_agent", **company_vals)
        cls.accountant = mail_new_test_user(
            cls.env, login="c_accountant", groups="broker_crm.group_broker_accountant", **company_vals
        )
        cls.manager = mail_new_test_user(cls.env, login="c_manager", groups="broker_crm.group_broker_manager",
                                         **company_vals)  # fmt: skip
        # referral partners are set up by a broker manager
        Partner = cls.env["res.partner"].with_user(cls.manager)
        cls.referral = Partner.create({"name": "Referral LLC", "is_broker_partner": True,
                                       "is_company": True})  # fmt: skip
        cls.referral_contact = Partner.create({"name": "Petr (Referral LLC)", "parent_id": cls.referral.id})
        cls.client = cls.env["res.partner"].create({"name": "Client Ltd", "email": "client@example.com"})
        cls.team = cls.env.ref("broker_crm.crm_team_broker")

    def _issued_deal(self, amount_issued=1_234_567.89, referral=None):
        # the fee terms, the issued amount and the referral partner are set by a manager
        lead = self.env["crm.lead"].with_user(self.manager).create({
            "name": "Credit for Client Ltd",
            "type": "opportunity",
            "team_id": self.team.id,
            "company_id": self.company.id,
            "partner_id": self.client.id,
            "user_id": self.agent.id,
            "referral_partner_id": (referral or self.referral).id,
            "fee_percent": 2.0,
            "fee_fixed": 0,
            "contract_number": "BR-100",
            "amount_issued": amount_issued,
            "date_issued": "2026-11-20",
        })  # fmt: skip
        return lead

    def _invoice(self, lead):
        lead.with_user(self.accountant).action_create_invoice()
        invoice = lead.invoice_id
        invoice.with_user(self.accountant).action_post()
        return invoice

    def _pay(self, move, amount=None):
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
        )
        vals = {"amount": amount} if amount else {}
        return wizard.create(vals)._create_payments()

    def _sign_act(self, lead, user=None):
        action = lead.with_user(user or self.accountant).action_open_act_signed()
        wizard = Form(
            self.env[action["res_model"]].with_user(user or self.accountant).with_context(**action["context"])
        )
        wizard.scan = ACT_SCAN
        wizard.save().action_confirm()

    def _commission(self, lead):
        return lead.sudo().commission_ids

    def test_full_cycle_payment_then_act(self):
        lead = self._issued_deal()
        invoice = self._invoice(lead)
        self.assertEqual(invoice.amount_total, 24_691.36, "2% of the issued credit, rounded to kopecks")
        self.assertEqual(invoice.currency_id.name, "RUB")
        commission = self._commission(lead)
        self.assertEqual(commission.state, "waiting")
        self.assertEqual(commission.amount, 30_864.20, "2.5% of 1 234 567.89 RUB, rounded to kopecks")

        self._pay(invoice)
        self.assertIn(lead.invoice_payment_state, ("paid", "in_payment"))
        self.assertEqual(commission.state, "waiting", "no commission before the signed act")
        self._sign_act(lead)
        self.assertEqual(commission.state, "billed")
        bill = commission.bill_id
        self.assertRecordValues(bill, [{"move_type": "in_invoice", "partner_id": self.referral.id,
                                        "amount_total": 30_864.20, "state": "draft"}])  # fmt: skip

        bill.with_user(self.accountant).action_post()
        self.assertEqual(commission.state, "billed")
        self._pay(bill)
        self.assertEqual(commission.state, "paid")
        # the agent sees the amount on the deal, read-only
        self.assertEqual(lead.with_user(self.agent).commission_amount, 30_864.20)

    def test_act_before_payment_and_partial_payment(self):
        lead = self._issued_deal()
        invoice = self._invoice(lead)
        self._sign_act(lead)
        commission = self._commission(lead)
        self.assertEqual(commission.state, "waiting")
        self._pay(invoice, amount=10_000)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(commission.state, "waiting", "a partial payment does not make the commission due")
        self.assertFalse(commission.bill_id)
        self._pay(invoice)
        self.assertEqual(commission.state, "billed")
        self.assertEqual(len(commission.bill_id), 1)

    def test_partner_rate_override_applies_to_contacts(self):
        self.referral.with_user(self.manager).write({"broker_commission_custom": True, "broker_commission_rate": 3.0})
        lead = self._issued_deal(amount_issued=1_000_000, referral=self.referral_contact)
        self._invoice(lead)
        commission = self._commission(lead)
        self.assertEqual((commission.rate, commission.amount), (3.0, 30_000))

    def test_trigger_twice_creates_one_bill(self):
        lead = self._issued_deal()
        invoice = self._invoice(lead)
        self._pay(invoice)
        self._sign_act(lead)
        commission = self._commission(lead)
        commission._sync()
        commission._sync()
        self.env["broker.commission"].sudo()._cron_sync()  # as the scheduler runs it
        lines = self.env["account.move.line"].search([("broker_commission_id", "=", commission.id)])
        self.assertEqual(len(lines), 1)
        with self.assertRaises(UserError):
            commission._create_bills()
        # the database refuses a second live bill line for the same commission
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["account.move"].create({
                "move_type": "in_invoice", "partner_id": self.referral.id, "invoice_date": "2026-11-23",
                "invoice_line_ids": [Command.create({"name": "again", "price_unit": 1,
                                                     "broker_commission_id": commission.id})],
            })  # fmt: skip
            self.env.flush_all()

    def test_settlement_groups_per_partner(self):
        self.company.broker_commission_auto_bill = False
        leads = self._issued_deal(1_000_000) | self._issued_deal(2_000_000)
        for lead in leads:
            self._pay(self._invoice(lead))
            self._sign_act(lead)
        commissions = leads.sudo().commission_ids
        self.assertEqual(set(commissions.mapped("state")), {"due"})
        wizard = self.env["broker.commission.settle"].with_user(self.accountant).create({"group_by_partner": True})
        action = wizard.action_settle()
        bill = self.env["account.move"].browse(action["domain"][0][2])
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.amount_total, 75_000)
        self.assertEqual(set(commissions.mapped("state")), {"billed"})
        with self.assertRaisesRegex(UserError, "No due commission"):
            self.env["broker.commission.settle"].with_user(self.accountant).create({}).action_settle()

    def test_credit_note_cancels_unpaid_commission_and_alerts_paid_one(self):
        lead = self._issued_deal()
        invoice = self._invoice(lead)
        self._sign_act(lead)
        commission = self._commission(lead)
        # full credit note before payment: the commission is cancelled
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "client refused"})
        )
        action = reversal.refund_moves()
        credit_note = self.env["account.move"].browse(action["res_id"])
        credit_note.with_user(self.accountant).action_post()
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(commission.state, "cancelled")
        self.assertFalse(commission.bill_id)

        # paid commission, then the client's payment is taken back: the accountant is told
        lead2 = self._issued_deal()
        invoice2 = self._invoice(lead2)
        payment = self._pay(invoice2)
        self._sign_act(lead2)
        commission2 = self._commission(lead2)
        commission2.bill_id.with_user(self.accountant).action_post()
        self._pay(commission2.bill_id)
        self.assertEqual(commission2.state, "paid")
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(invoice2.payment_state, "not_paid")
        self.assertEqual(commission2.state, "paid", "what was paid stays paid")
        self.assertTrue(commission2.activity_ids, "the accountant gets a task to recover the commission")

    def test_unpaid_reversal_cancels_the_unpaid_bill(self):
        lead = self._issued_deal()
        invoice = self._invoice(lead)
        payment = self._pay(invoice)
        self._sign_act(lead)
        commission = self._commission(lead)
        bill = commission.bill_id
        self.assertEqual(commission.state, "billed")
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(bill.state, "cancel")
        self.assertEqual(commission.state, "waiting", "it becomes due again when the client pays again")

    def test_access(self):
        lead = self._issued_deal()
        with self.assertRaises(AccessError):
            lead.with_user(self.agent).action_create_invoice()
        self._invoice(lead)
        commission = self._commission(lead)
        with self.assertRaises(AccessError):
            commission.with_user(self.agent).read(["amount"])
        with self.assertRaises(AccessError):
            commission.with_user(self.agent).write({"rate": 10})
        with self.assertRaises(AccessError):
            self.referral.with_user(self.agent).write({"broker_commission_rate": 10})
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.agent).create({"move_type": "in_invoice",
                                                                   "partner_id": self.referral.id})  # fmt: skip
        commission.with_user(self.accountant).write({"rate": 3})
        self.assertEqual(commission.amount, 37_037.04)
        with self.assertRaisesRegex(AccessError, "manager or an accountant"):
            self._sign_act(lead, user=self.agent)
        with self.assertRaisesRegex(UserError, "no invoice"):
            self._sign_act(self._issued_deal())

    def test_billed_commission_is_never_deleted(self):
        lead = self._issued_deal()
        self._pay(self._invoice(lead))
        self._sign_act(lead)
        commission = self._commission(lead)
        self.assertEqual(commission.state, "billed")
        with self.assertRaises(AccessError):
            commission.with_user(self.accountant).unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            commission.unlink()
        self.assertTrue(commission.exists())

    def test_cancel_refused_while_the_bill_is_posted(self):
        lead = self._issued_deal()
        self._pay(self._invoice(lead))
        self._sign_act(lead)
        commission = self._commission(lead)
        bill = commission.bill_id
        bill.invoice_date = bill.invoice_date or "2026-11-24"
        bill.action_post()
        with self.assertRaisesRegex(UserError, "bill is posted"):
            commission.with_user(self.accountant).action_cancel()
        self.assertEqual(bill.state, "posted")
        self.assertFalse(commission.cancelled)
        self.assertEqual(commission.state, "billed")
        with self.assertRaises(AccessError):
            commission.with_user(self.agent).action_cancel()
