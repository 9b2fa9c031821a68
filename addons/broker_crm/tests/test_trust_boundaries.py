import base64

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BrokerCrmCommon, new_broker_user, new_portal_partner_user

SCAN = base64.b64encode(b"%PDF-1.4 signed contract")


@tagged("post_install", "-at_install")
class TestRoles(BrokerCrmCommon):
    """Item 13: the broker role holds however the user was created."""

    def _deals(self, user):
        return self.env["crm.lead"].with_user(user).search([("id", "in", self.deals.ids)])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deals = cls._new_deal(cls.user_agent, name="Anna's") | cls._new_deal(cls.user_agent2, name="Boris'")

    def test_template_gives_no_sales_or_accounting_rights(self):
        user = new_broker_user(self.env, "fresh_employee", None)
        self.assertFalse(user.broker_role)
        for xmlid in (
            "sales_team.group_sale_salesman",
            "sales_team.group_sale_manager",
            "base.group_allow_export",
        ):
            self.assertFalse(user.has_group(xmlid), f"a new user has no {xmlid} before a role is chosen")

    def test_agent_created_in_settings_sees_own_deals_only(self):
        agent = new_broker_user(self.env, "settings_agent", "agent")
        deal = self._new_deal(agent, name="Own")
        self.assertEqual(self._deals(agent), self.env["crm.lead"])
        self.assertEqual(self.env["crm.lead"].with_user(agent).search([("id", "=", deal.id)]), deal)
        self.assertEqual(agent.broker_role, "agent")
        for xmlid in ("sales_team.group_sale_salesman_all_leads", "base.group_allow_export"):
            self.assertFalse(agent.has_group(xmlid), xmlid)

    def test_user_created_before_install_gets_the_role_only(self):
        # as if created before the addon: Odoo's template gave Sales and Accounting administrator
        old = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Old Timer", "login": "old_timer",
            "groups_id": [Command.set([
                self.env.ref("base.group_user").id,
                self.env.ref("sales_team.group_sale_manager").id,
                self.env.ref("base.group_allow_export").id,
            ])],
        })  # fmt: skip
        self.assertEqual(len(self._deals(old)), 2, "a Sales administrator sees every deal")
        old.broker_role = "agent"
        self.assertFalse(old.has_group("sales_team.group_sale_manager"))
        self.assertFalse(old.has_group("base.group_allow_export"))
        self.assertFalse(self._deals(old))

    def test_groups_written_directly_keep_the_role(self):
        agent = new_broker_user(self.env, "direct_agent", "agent")
        # an administrator ticks "Sales: Administrator" on the agent's form
        agent.write({"groups_id": [Command.link(self.env.ref("sales_team.group_sale_manager").id)]})
        self.assertFalse(self._deals(agent))
        self.assertEqual(agent.broker_role, "agent")

    def test_roles_switch_cleanly(self):
        user = new_broker_user(self.env, "switcher", "manager")
        self.assertEqual(len(self._deals(user)), 2)
        self.assertTrue(user.has_group("base.group_allow_export"))
        user.broker_role = "accountant"
        self.assertEqual(user.broker_role, "accountant")
        self.assertFalse(user.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(user.has_group("base.group_allow_export"))
        self.assertEqual(len(self._deals(user)), 2, "accountants read every deal")
        with self.assertRaises(AccessError):
            self.deals[0].with_user(user).write({"name": "x"})
        user.broker_role = False
        with self.assertRaises(AccessError):
            self._deals(user)

    def test_invited_user_has_no_broker_rights(self):
        # Settings → Users → "Invite new users" creates from the same template
        self.env["res.users"].with_context(no_reset_password=True).web_create_users(["invited@broker.example"])
        invited = self.env["res.users"].search([("login", "=", "invited@broker.example")])
        self.assertFalse(invited.has_group("sales_team.group_sale_salesman"))


@tagged("post_install", "-at_install")
class TestPartnerGuards(BrokerCrmCommon):
    """Item 3: only managers shape referral partners and grant them portal access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_broker_user(cls.env, "guard_agent", "agent")
        cls.manager = new_broker_user(cls.env, "guard_manager", "manager")
        cls.referral = cls.env["res.partner"].create({"name": "Ref LLC", "is_company": True, "is_broker_partner": True})
        cls.referral_contact = cls.env["res.partner"].create({"name": "Ref Contact", "parent_id": cls.referral.id})

    def test_agent_cannot_make_itself_a_portal_user_of_a_partner(self):
        Partner = self.env["res.partner"].with_user(self.agent)
        with self.assertRaisesMessage(AccessError, "broker manager"):
            Partner.create({"name": "Me", "email": self.agent.email, "parent_id": self.referral.id})
        # the existing contact cannot be given access either
        wizard = self.env["portal.wizard"].with_user(self.agent).with_context(
            active_ids=self.referral_contact.ids
        ).create({})  # fmt: skip
        with self.assertRaisesMessage(AccessError, "broker manager"):
            wizard.user_ids.action_grant_access()
        self.assertFalse(self.referral_contact.with_context(active_test=False).user_ids)
        # nor can a contact of the agent be moved under the partner, or a partner be made
        own = Partner.create({"name": "Own contact", "email": "own@example.com"})
        with self.assertRaisesMessage(AccessError, "broker manager"):
            own.write({"parent_id": self.referral.id})
        with self.assertRaisesMessage(AccessError, "broker manager"):
            own.write({"is_broker_partner": True})
        with self.assertRaisesMessage(AccessError, "broker manager"):
            self.referral_contact.with_user(self.agent).write({"parent_id": False})
        self.assertEqual(self.referral_contact.parent_id, self.referral)
        # unrelated changes stay possible
        own.write({"phone": "+7 900 000-00-00", "is_broker_partner": False})

    def test_manager_grants_portal_access(self):
        portal_user = new_portal_partner_user(self.env(user=self.manager), "ref_portal", self.referral)
        self.assertTrue(portal_user.share)
        self.assertEqual(portal_user.commercial_partner_id, self.referral)


@tagged("post_install", "-at_install")
class TestClientBase(BrokerCrmCommon):
    """Item 6: the client base is not copied: no export, and agents see their own clients only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_broker_user(cls.env, "base_agent", "agent")
        cls.agent2 = new_broker_user(cls.env, "base_agent2", "agent")
        cls.client_own = cls.env["res.partner"].create({"name": "Own Client", "vat": "7707083893"})
        cls.client_other = cls.env["res.partner"].create({"name": "Other Client", "vat": "500100732259",
                                                          "comment": "personal note"})  # fmt: skip
        cls.deal_own = cls._new_deal(cls.agent, partner_id=cls.client_own.id)
        cls.deal_other = cls._new_deal(cls.agent2, partner_id=cls.client_other.id)

    def test_agent_reads_own_clients_companies_and_colleagues_only(self):
        Partner = self.env["res.partner"].with_user(self.agent)
        visible = Partner.search([("id", "in", (self.client_own | self.client_other).ids)])
        self.assertEqual(visible, self.client_own)
        with self.assertRaises(AccessError):
            self.client_other.with_user(self.agent).read(["vat", "comment"])
        self.assertIn(self.agent2.partner_id, Partner.search([("id", "=", self.agent2.partner_id.id)]))
        company = self.env["res.partner"].create({"name": "Some Bank", "is_company": True})
        self.assertEqual(Partner.search([("id", "=", company.id)]), company)
        # a contact the agent creates is theirs until it is on a deal
        mine = Partner.create({"name": "New lead contact"})
        self.assertEqual(Partner.search([("id", "=", mine.id)]), mine)
        # the deal of the other agent still shows its client's name to its own agent
        self.assertEqual(self.deal_other.with_user(self.agent2).partner_id.name, "Other Client")
        # managers see everybody
        manager = new_broker_user(self.env, "base_manager", "manager")
        self.assertEqual(
            self.env["res.partner"]
            .with_user(manager)
            .search([("id", "in", (self.client_own | self.client_other).ids)]),
            self.client_own | self.client_other,
        )

    def test_export_refused_server_side_for_users_with_the_old_group(self):
        agent = new_broker_user(self.env, "exporter", None)
        agent.write({"groups_id": [Command.link(self.env.ref("base.group_allow_export").id)]})
        agent.broker_role = "agent"
        with self.assertRaises(UserError):
            self.env["res.partner"].with_user(agent).search([]).export_data(["name", "vat"])
        with self.assertRaises(UserError):
            self.deal_own.with_user(agent).export_data(["name"])


@tagged("post_install", "-at_install")
class TestMoneyFields(BrokerCrmCommon):
    """Item 7: the fields that drive money are the manager's and the accountant's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.referral = cls.env["res.partner"].create({"name": "Ref", "is_company": True, "is_broker_partner": True})

    def test_agent_cannot_write_money_fields(self):
        lead = self._new_deal()
        for vals in (
            {"amount_issued": 1_000_000},
            {"fee_percent": 0.5},
            {"fee_fixed": 1},
            {"referral_partner_id": self.referral.id},
        ):
            with self.subTest(vals=vals), self.assertRaisesMessage(AccessError, "manager or an accountant"):
                lead.write(vals)
        lead.invalidate_recordset()
        self.assertFalse(lead.amount_issued or lead.referral_partner_id)
        self.assertEqual((lead.fee_percent, lead.fee_fixed), (2.0, 10000))
        with self.assertRaisesMessage(AccessError, "manager or an accountant"):
            self._new_deal(name="with partner", referral_partner_id=self.referral.id)
        with self.assertRaisesMessage(AccessError, "manager or an accountant"):
            self._new_deal(name="discount", fee_percent=0.1)
        # the product's own fee terms, sent back by the form, are fine; so are other fields
        lead.write({"fee_percent": 2.0, "fee_fixed": 10000, "amount_requested": 6_000_000})

    def test_manager_sets_them(self):
        lead = self._new_deal().with_user(self.user_manager)
        lead.write({"referral_partner_id": self.referral.id, "fee_percent": 1.5, "amount_issued": 2_000_000,
                    "date_issued": "2026-11-20"})  # fmt: skip
        self.assertTrue(lead.broker_money_editable)
        lead.write({"fee_percent": 3})
        self.assertEqual(lead.fee_percent, 3)


@tagged("post_install", "-at_install")
class TestNothingLost(BrokerCrmCommon):
    """Item 9: merges archive, files stay with their deal, scans are never silently dropped."""

    def test_merge_archives_the_merged_deals_with_their_data(self):
        head = self._new_deal(name="Head", amount_requested=7_000_000)
        tail = self._new_deal(name="Tail", passport_series="4510", passport_number="123456",
                              stop_factor_ids=[Command.create({"stop_factor_id": self.stop_overdue.id})])  # fmt: skip
        line = tail.document_ids[0]
        attachment = line._attach_files([("passport.pdf", b"%PDF-1.4 passport", "application/pdf")])
        survivor = (head | tail).with_user(self.user_agent).merge_opportunity()
        self.assertEqual(survivor, head)
        tail = tail.with_context(active_test=False)
        self.assertTrue(tail.exists(), "the merged deal is kept")
        self.assertFalse(tail.active)
        self.assertEqual(tail.merged_into_id, head)
        self.assertEqual(tail.sudo().passport_number, "123456")
        self.assertTrue(tail.stop_factor_ids and tail.document_ids)
        self.assertEqual((attachment.res_model, attachment.res_id), ("crm.lead", tail.id), "the file stays with it")

    def test_files_do_not_leave_the_deal(self):
        lead = self._new_deal()
        attachment = lead.document_ids[0]._attach_files([("p.pdf", b"%PDF-1.4 p", "application/pdf")])
        partner = self.env["res.partner"].with_user(self.user_agent).create({"name": "Elsewhere"})
        for vals in ({"res_model": "res.partner", "res_id": partner.id}, {"res_id": self._new_deal().id}):
            with self.subTest(vals=vals), self.assertRaisesMessage(UserError, "stay with the deal"):
                attachment.with_user(self.user_agent).write(vals)
        self.assertEqual((attachment.res_model, attachment.res_id), ("crm.lead", lead.id))

    def test_clearing_or_replacing_a_scan_keeps_the_old_file(self):
        lead = self._new_deal()
        lead.write({"contract_signed_scan": SCAN, "contract_signed_scan_name": "signed.pdf"})
        lead.write({"contract_signed_scan": False})
        copies = self.env["ir.attachment"].search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        self.assertEqual(len(copies), 1)
        self.assertEqual(copies.raw, base64.b64decode(SCAN))
        with self.assertRaises(UserError):
            copies.with_user(self.user_agent).unlink()
