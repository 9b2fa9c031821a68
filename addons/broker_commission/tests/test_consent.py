import base64

from odoo.tests import freeze_time, tagged

from odoo.addons.broker_crm.tests.common import BrokerCrmCommon, new_broker_user

SCAN = base64.b64encode(b"%PDF-1.4 signed")


@tagged("post_install", "-at_install")
class TestErasureKeepsTheBooks(BrokerCrmCommon):
    """Erasing a client's personal data keeps invoices, acts and commissions (402-FZ art. 29)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_broker_user(cls.env, "consent_agent", "agent")
        cls.client = cls.env["res.partner"].create(
            {"name": "Ivan Klientov", "email": "ivan@client.example", "phone": "+7 900 000-11-22", "city": "Moscow"}
        )
        cls.referral = cls.env["res.partner"].create({"name": "Ref", "is_company": True, "is_broker_partner": True})
        cls.deal = cls._new_deal(cls.agent, partner_id=cls.client.id, passport_series="4510", passport_number="123456")

    def test_withdrawal_then_erasure_keeps_the_books(self):
        with freeze_time("2026-06-01"):
            consent = self.env["broker.consent"].with_user(self.agent).create({
                "partner_id": self.client.id, "kind": "personal_data", "purpose": "Credit selection",
                "date_given": "2026-06-01", "method": "paper", "document": SCAN, "document_name": "consent.pdf",
            })  # fmt: skip
            deal = self.deal.sudo()
            deal.write({"referral_partner_id": self.referral.id, "amount_issued": 1_000_000,
                        "date_issued": "2026-06-01"})  # fmt: skip
            deal.action_create_invoice()
            invoice = deal.invoice_id
            invoice.action_post()
            deal.write({"act_signed_date": "2026-06-01", "act_signed_scan": SCAN, "act_signed_scan_name": "act.pdf"})
            commission = deal.commission_ids
            consent.with_user(self.agent).action_withdraw()
        with freeze_time("2026-07-02"):
            self.env["broker.consent"]._cron_consents()
        self.assertNotEqual(self.client.name, "Ivan Klientov", "the client is erased")
        deal = self.deal.sudo()
        self.assertFalse(deal.passport_number)
        self.assertEqual((invoice.amount_total, invoice.state), (deal.fee_amount, "posted"), "the books are intact")
        self.assertTrue(invoice.name and invoice.name != "/")
        self.assertEqual(invoice.partner_id, self.client)
        self.assertTrue(deal.act_signed_scan, "the signed act is kept")
        self.assertEqual(commission.amount, 25_000, "the commission keeps its amount")
