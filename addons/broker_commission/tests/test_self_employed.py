"""Self-employed partners (422-FZ): the tax service's status check before billing, against a real
HTTP server on 127.0.0.1; the «Мой налог» receipt before payment; the reminder by the 9th."""

import base64
import socket

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .npd_server import NpdStatusServer
from .test_partner_tax import INN_PERSON, BrokerPartnerTaxCommon

RECEIPT = base64.b64encode(b"%PDF-1.4 receipt")


@tagged("post_install", "-at_install")
@freeze_time("2026-11-24")
class TestSelfEmployed(BrokerPartnerTaxCommon):
    def setUp(self):
        super().setUp()
        self.server = NpdStatusServer({INN_PERSON: True})
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("broker_commission.npd_status_url", self.server.url)
        params.set_param("broker_commission.npd_status_timeout", "0.5")
        self.partner = self._partner("Sam Selfemployed", "self_employed", INN_PERSON)

    def _due(self):
        commission = self._earn(self.partner)
        self.assertEqual(commission.state, "due", "the self-employed are billed by the accountant")
        self.assertFalse(commission.bill_id)
        return commission

    def test_status_checked_before_billing_then_receipt_before_payment(self):
        commission = self._due()
        commission.with_user(self.accountant).action_bill()
        self.assertEqual(self.server.requests, [{"inn": INN_PERSON, "requestDate": "2026-11-24"}])
        partner = self.partner.sudo()
        self.assertEqual((str(partner.broker_tax_status_checked_on), partner.broker_npd_valid), ("2026-11-24", True))
        bill = commission.bill_id
        self.assertEqual((bill.amount_total, commission.tax_withheld), (50_000, 0), "paid in full, no withholding")
        bill.with_user(self.accountant).action_post()
        self.assertTrue(commission.receipt_missing)
        with self.assertRaisesMessage(UserError, "«Мой налог» receipt of Sam Selfemployed"):
            self._pay(bill)
        self.assertEqual(bill.payment_state, "not_paid", "nothing paid")
        # a number and a date are not enough: the link or the scan too
        commission.with_user(self.accountant).write({"receipt_number": "20abc1", "receipt_date": "2026-11-24"})
        self.assertTrue(commission.receipt_missing)
        commission.with_user(self.accountant).receipt_url = "https://lknpd.nalog.ru/api/v1/receipt/500100732259/20abc1"
        self.assertFalse(commission.receipt_missing)
        self._pay(bill)
        self.assertEqual(commission.state, "paid")

    @mute_logger("odoo.addons.broker_commission.models.res_partner")
    def test_unreachable_service_is_a_clear_error_and_nothing_is_billed(self):
        commission = self._due()
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            closed_url = f"http://127.0.0.1:{sock.getsockname()[1]}/status"
        self.env["ir.config_parameter"].sudo().set_param("broker_commission.npd_status_url", closed_url)
        with self.assertRaisesMessage(UserError, "did not answer for Sam Selfemployed.*connection failed"):
            commission.with_user(self.accountant).action_bill()
        self.assertFalse(commission.bill_id)
        self.assertFalse(self.partner.sudo().broker_tax_status_checked_on, "nothing recorded")

    def test_timeout_and_bad_answers(self):
        commission = self._due()
        for fault, message in (("hang", "no answer within 0.5 s"), ("500", "HTTP 500"), ("bad_json", "not JSON")):
            self.server.faults[INN_PERSON] = fault
            with self.subTest(fault=fault), self.assertRaisesMessage(UserError, message):
                commission.with_user(self.accountant).action_bill()
            self.assertFalse(commission.bill_id)
        self.server.faults.clear()
        commission.with_user(self.accountant).action_bill()
        self.assertTrue(commission.bill_id)

    def test_revoked_status_is_billed_as_individual_after_confirmation(self):
        self.server.statuses[INN_PERSON] = False
        commission = self._due()
        commission.with_user(self.accountant).action_bill()
        self.assertFalse(commission.bill_id, "not billed while the accountant has not confirmed")
        self.assertTrue(commission.partner_npd_lost)
        self.assertFalse(self.partner.sudo().broker_npd_valid)
        task = commission.activity_ids
        self.assertEqual(task.user_id, self.accountant)
        self.assertIn("no longer self-employed", task.summary)
        # billing through the wizard leaves it alone as well
        wizard = self.env["broker.commission.settle"].with_user(self.accountant).create({})
        self.assertEqual(wizard.action_settle()["tag"], "display_notification")
        self.assertFalse(commission.bill_id)
        # the accountant confirms: paid as an individual, tax withheld
        commission.with_user(self.accountant).action_bill_as_individual()
        self.assertEqual(self.partner.sudo().broker_tax_status, "individual")
        self.assertEqual((commission.bill_id.amount_total, commission.tax_withheld), (43_500, 6_500))
        self.assertFalse(commission.activity_ids, "the task is done")
        self.assertFalse(commission.receipt_missing, "an individual gives no receipt")

    def test_agents_cannot_bill(self):
        commission = self._due()
        with self.assertRaises(Exception):  # noqa: B017 - the agent cannot even read commissions
            commission.with_user(self.agent).action_bill()
        self.assertFalse(commission.bill_id)
        self.assertEqual(self.server.requests, [])

    def test_paid_without_receipt_gives_a_task_by_the_9th(self):
        commission = self._due()
        commission.with_user(self.accountant).action_bill()
        bill = commission.bill_id
        bill.action_post()
        # matched by the system (a bank statement import runs as superuser): no receipt yet
        self.env["account.payment.register"].sudo().with_context(
            active_model="account.move", active_ids=bill.ids
        ).create({})._create_payments()
        self.assertEqual((commission.state, commission.receipt_missing), ("paid", True))
        Commission = self.env["broker.commission"]
        missing = Commission.with_user(self.accountant).search([("state", "=", "paid"), ("receipt_missing", "=", True)])
        self.assertEqual(missing, commission, "listed as paid without a receipt")
        Commission.sudo()._cron_missing_receipts()
        Commission.sudo()._cron_missing_receipts()
        task = commission.activity_ids
        self.assertEqual(len(task), 1, "one task, however often the job runs")
        self.assertEqual(str(task.date_deadline), "2026-12-09")
        self.assertEqual(task.user_id, self.accountant)
        self.assertEqual(task.activity_type_id, self.env.ref("broker_commission.mail_activity_type_missing_receipt"))
        commission.with_user(self.accountant).write(
            {"receipt_number": "20abc2", "receipt_date": "2026-11-25", "receipt_scan": RECEIPT,
             "receipt_scan_name": "receipt.pdf"}
        )  # fmt: skip
        self.assertFalse(commission.receipt_missing)
