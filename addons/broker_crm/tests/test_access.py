from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestDealAccess(BrokerCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_own = cls._new_deal(cls.user_agent, name="Own deal")
        cls.lead_other = cls._new_deal(cls.user_agent2, name="Other agent's deal")
        cls.lead_executed = cls._new_deal(cls.user_agent2, name="Executed deal", executor_id=cls.user_agent.id)
        cls.lead_unassigned = cls._new_deal(cls.user_manager, name="Unassigned", user_id=False, executor_id=False)
        cls.lead_foreign_team = cls._new_deal(
            cls.user_manager, name="Other team", user_id=cls.user_agent2.id,
            team_id=cls.env.ref("sales_team.team_sales_department").id,
        )  # fmt: skip
        cls.all_leads = cls.lead_own | cls.lead_other | cls.lead_executed | cls.lead_unassigned | cls.lead_foreign_team

    def _visible(self, user):
        return self.env["crm.lead"].with_user(user).search([("id", "in", self.all_leads.ids)])

    def test_agent_sees_own_and_executed_only(self):
        self.assertEqual(self._visible(self.user_agent), self.lead_own | self.lead_executed)
        with self.assertRaises(AccessError):
            self.lead_other.with_user(self.user_agent).read(["name"])
        with self.assertRaises(AccessError):
            self.lead_other.with_user(self.user_agent).write({"description": "x"})
        # the agent works the deal they execute
        self.lead_executed.with_user(self.user_agent).write({"amount_requested": 7_000_000})

    def test_team_leader_sees_team(self):
        self.assertEqual(
            self._visible(self.user_leader),
            self.lead_own | self.lead_other | self.lead_executed | self.lead_unassigned,
            "the leader of the broker team sees its deals, not another team's",
        )

    def test_manager_sees_all_and_assigns(self):
        self.assertEqual(self._visible(self.user_manager), self.all_leads)
        self.lead_unassigned.with_user(self.user_manager).write({"user_id": self.user_agent.id})
        self.assertIn(self.lead_unassigned, self._visible(self.user_agent))

    def test_accountant_reads_all_writes_nothing(self):
        self.assertEqual(self._visible(self.user_accountant), self.all_leads)
        with self.assertRaises(AccessError):
            self.lead_own.with_user(self.user_accountant).write({"amount_requested": 1})
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(self.user_accountant).create({"name": "Nope"})

    def test_lines_follow_the_deal(self):
        self.lead_other.write({"stop_factor_ids": [(0, 0, {"stop_factor_id": self.stop_overdue.id})]})
        Lines = self.env["broker.lead.stop.factor"].with_user(self.user_agent)
        self.assertFalse(Lines.search([("lead_id", "=", self.lead_other.id)]))
        self.assertEqual(len(self.env["broker.lead.document"].with_user(self.user_agent).search(
            [("lead_id", "in", self.all_leads.ids)])), 4)  # fmt: skip

    def test_delete_archives_and_manager_restores(self):
        self.lead_own.with_user(self.user_agent).unlink()
        self.assertTrue(self.lead_own.exists(), "the deal is still in the database")
        self.assertFalse(self.lead_own.active)
        # a manager also archives (only administrators really delete), and can restore
        self.lead_other.with_user(self.user_manager).unlink()
        self.assertTrue(self.lead_other.exists())
        Archived = self.env["crm.lead"].with_user(self.user_manager).with_context(active_test=False)
        action = self.env.ref("broker_crm.crm_lead_action_archived")
        archived = Archived.search(safe_eval(action.domain) + [("id", "in", self.all_leads.ids)])
        self.assertEqual(archived, self.lead_own | self.lead_other)
        archived.action_unarchive()
        self.assertTrue(self.lead_own.active and self.lead_other.active)

    def test_partners_and_documents_are_not_deleted(self):
        partner = self.env["res.partner"].with_user(self.user_agent).create({"name": "Client"})
        partner.unlink()
        self.assertTrue(partner.exists())
        self.assertFalse(partner.active)

        line = self.lead_own.document_ids[0]
        attachment = line.with_user(self.user_agent)._attach_files([("passport.pdf", b"%PDF-1.4", "application/pdf")])
        with self.assertRaises(UserError):
            attachment.with_user(self.user_agent).unlink()
        with self.assertRaises(UserError):
            attachment.with_user(self.user_manager).unlink()
        self.assertTrue(attachment.exists())
        # the signed contract scan is still uploaded by the agent
        self.lead_own.with_user(self.user_agent).write(
            {"contract_signed_scan": "JVBERi0xLjQ=", "contract_signed_scan_name": "a.pdf"}
        )

    def test_export_is_for_managers_only(self):
        with self.assertRaises(UserError):
            self.lead_own.with_user(self.user_agent).export_data(["name", "email_from"])
        data = self.lead_own.with_user(self.user_manager).export_data(["name", "email_from"])
        self.assertEqual(data["datas"], [["Own deal", "ivan@example.com"]])
