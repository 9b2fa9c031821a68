import base64

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.broker_crm.tests.common import BrokerCrmCommon, new_broker_user

SCAN = base64.b64encode(b"%PDF-1.4 signed act")


@tagged("post_install", "-at_install")
class TestAccountingRoles(BrokerCrmCommon):
    """The broker role decides the Accounting rights, however the user was created."""

    def test_template_gives_no_accounting_rights(self):
        user = new_broker_user(self.env, "fresh_employee", None)
        for xmlid in ("account.group_account_invoice", "account.group_account_manager"):
            self.assertFalse(user.has_group(xmlid), f"a new user has no {xmlid} before a role is chosen")

    def test_agent_has_no_accounting(self):
        agent = new_broker_user(self.env, "settings_agent", "agent")
        self.assertFalse(agent.has_group("account.group_account_invoice"))
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(agent).create({"move_type": "out_invoice"})

    def test_accountant_invoices(self):
        accountant = new_broker_user(self.env, "settings_accountant", "accountant")
        self.assertTrue(accountant.has_group("account.group_account_invoice"), "the role brings invoicing")
        self.assertFalse(accountant.has_group("sales_team.group_sale_salesman"))

    def test_user_created_before_install_loses_accounting_administrator(self):
        old = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Old Timer", "login": "old_timer",
            "groups_id": [Command.set([
                self.env.ref("base.group_user").id,
                self.env.ref("account.group_account_manager").id,
            ])],
        })  # fmt: skip
        old.broker_role = "agent"
        self.assertFalse(old.has_group("account.group_account_manager"))

    def test_invited_user_has_no_accounting(self):
        self.env["res.users"].with_context(no_reset_password=True).web_create_users(["invited@broker.example"])
        invited = self.env["res.users"].search([("login", "=", "invited@broker.example")])
        self.assertFalse(invited.has_group("account.group_account_invoice"))


@tagged("post_install", "-at_install")
class TestInvoiceMoneyFields(BrokerCrmCommon):
    """The invoice and the signed act are the manager's and the accountant's; a commission freezes the figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.referral = cls.env["res.partner"].create({"name": "Ref", "is_company": True, "is_broker_partner": True})
        cls.invoice = cls.env["account.move"].create({"move_type": "out_invoice", "partner_id": cls.referral.id})

    def test_agent_cannot_write_invoice_or_act(self):
        lead = self._new_deal()
        for vals in ({"invoice_id": self.invoice.id}, {"act_signed_date": "2026-11-20"}, {"act_signed_scan": SCAN}):
            with self.subTest(vals=vals), self.assertRaisesMessage(AccessError, "manager or an accountant"):
                lead.write(vals)
        lead.invalidate_recordset()
        self.assertFalse(lead.invoice_id or lead.act_signed_date)
        with self.assertRaisesMessage(AccessError, "manager or an accountant"):
            lead.action_create_invoice()

    def test_manager_sets_them_and_a_commission_freezes_them(self):
        lead = self._new_deal().with_user(self.user_manager)
        lead.write({"referral_partner_id": self.referral.id, "fee_percent": 1.5, "amount_issued": 2_000_000,
                    "date_issued": "2026-11-20"})  # fmt: skip
        lead.sudo()._ensure_commission()
        for vals in ({"fee_percent": 3}, {"amount_issued": 9_000_000}, {"referral_partner_id": False}):
            with self.subTest(vals=vals), self.assertRaisesMessage(UserError, "Cancel the commission first"):
                lead.write(vals)
        self.assertEqual(lead.amount_issued, 2_000_000)
        self.assertFalse(lead.with_user(self.user_manager).broker_money_editable)
        lead.sudo().commission_ids.cancelled = True
        lead.write({"fee_percent": 3})

    def test_replacing_the_signed_act_keeps_the_old_file(self):
        lead = self._new_deal()
        lead.sudo().write({"act_signed_scan": SCAN, "act_signed_scan_name": "act.pdf"})
        lead.sudo().write({"act_signed_scan": False})
        copies = self.env["ir.attachment"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", lead.id), ("res_field", "=", False)]
        )
        self.assertEqual(copies.raw, base64.b64decode(SCAN))
