"""The demo office's money side: invoices, signed acts, commissions and bills in every state."""

from odoo.tests import TransactionCase, tagged

from odoo.addons.broker_crm.models.crm_stage import STEP_INDEX
from odoo.addons.broker_crm.tests.common import new_broker_user


@tagged("post_install", "-at_install")
class TestDemoAccounting(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("broker_crm.demo_user_agent", raise_if_not_found=False):
            cls.skipTest(cls, "installed without demo data")
        cls.team = cls.env.ref("broker_crm.crm_team_broker")
        cls.deals = cls.env["crm.lead"].with_context(active_test=False).search([("team_id", "=", cls.team.id)])

    def test_money_side_in_every_state(self):
        commissions = self.deals.commission_ids
        self.assertEqual(set(commissions.mapped("state")), {"waiting", "due", "billed", "paid", "cancelled"})
        act = self.env.ref("broker_crm.lead_demo_act")
        self.assertEqual(act.invoice_id.payment_state, "paid")
        self.assertTrue(act.act_signed_date and act.act_signed_scan)
        self.assertTrue(act.commission_ids.bill_id)

    def test_deals_past_the_act_step_are_invoiced(self):
        for lead in self.deals.filtered("active"):
            if STEP_INDEX[lead.broker_step] >= STEP_INDEX["act_invoice"]:
                with self.subTest(deal=lead.name):
                    self.assertTrue(lead.invoice_id, "no invoice")

    def test_second_partner_earns_its_own_rate(self):
        partner = self.env.ref("broker_crm.demo_partner_referral_2")
        self.assertTrue(partner.broker_commission_custom)
        self.assertEqual(partner._broker_commission_rate(), 3.0)


@tagged("post_install", "-at_install")
class TestInstalledInvoicing(TransactionCase):
    def test_accountant_invoices_a_deal_without_a_customer(self):
        """Installed data only: a deal submitted with a contact name and no customer record."""
        team = self.env.ref("broker_crm.crm_team_broker")
        product = self.env.ref("broker_crm.credit_product_mortgage")
        manager = new_broker_user(self.env, "inv_manager", "manager")
        accountant = new_broker_user(self.env, "inv_accountant", "accountant")
        lead = self.env["crm.lead"].with_user(manager).create({
            "name": "From the portal", "type": "opportunity", "team_id": team.id,
            "contact_name": "Semyon Klientov", "email_from": "semyon@example.com",
            "credit_product_id": product.id, "amount_requested": 1_000_000,
            "amount_issued": 1_000_000, "date_issued": "2026-11-20",
        })  # fmt: skip
        self.assertFalse(lead.partner_id)
        lead.with_user(accountant).action_create_invoice()
        self.assertEqual(lead.invoice_id.partner_id.name, "Semyon Klientov")
