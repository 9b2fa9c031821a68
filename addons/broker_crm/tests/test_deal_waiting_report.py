import ast
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestDealWaitingReport(BrokerCrmCommon):
    """The director's question: who signed and is not submitted yet, who waits for a bank's decision,
    who is approved and not issued yet, by agent and bank, and for how many days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the report counts days on the database's clock (UTC), which a frozen Python clock does not move:
        # the dates below are set relative to it, so the expected days do not depend on the day of the run
        cls.env.cr.execute("SELECT (NOW() AT TIME ZONE 'UTC')::date")
        cls.today = cls.env.cr.fetchone()[0]
        Bank = cls.env["res.bank"]
        cls.bank_a = Bank.create({"name": "Waiting Bank A"})
        cls.bank_b = Bank.create({"name": "Waiting Bank B"})
        cls.bank_c = Bank.create({"name": "Waiting Bank C"})

        # signed 10 days ago, nothing sent to a bank (a draft application does not count)
        cls.deal_signed = cls._deal(
            cls.user_agent,
            date_contract_signed=cls._ago(10),
            bank_application_ids=[Command.create({"bank_id": cls.bank_c.id})],
        )
        # two banks have it, neither has decided
        cls.deal_two_banks = cls._deal(
            cls.user_agent2,
            bank_application_ids=[
                Command.create({"bank_id": cls.bank_a.id, "state": "submitted", "date_submitted": cls._ago(5)}),
                Command.create({"bank_id": cls.bank_b.id, "state": "more_docs", "date_submitted": cls._ago(3)}),
                Command.create({"bank_id": cls.bank_c.id}),
            ],
        )
        # approved by one bank 12 days ago, refused by another, not issued
        cls.deal_approved = cls._deal(
            cls.user_agent,
            bank_application_ids=[
                Command.create(cls._application(cls.bank_a, "approved", 20, 12, amount_approved=4_000_000)),
                Command.create(cls._application(cls.bank_b, "refused", 20, 15)),
            ],
        )
        # issued: nothing waits any more
        cls.deal_issued = cls._deal(
            cls.user_agent,
            bank_application_ids=[
                Command.create(cls._application(cls.bank_a, "approved", 9, 4, amount_approved=5_000_000)),
            ],
            date_issued=cls._ago(1),
            amount_issued=5_000_000,
        )
        # archived, though signed and never submitted
        cls.deal_archived = cls._deal(cls.user_agent, date_contract_signed=cls._ago(30))
        cls.deal_archived.action_archive()
        # the contract is only sent, not signed
        cls.deal_unsigned = cls._deal(cls.user_agent, contract_state="sent", date_contract_signed=False)
        cls.deals = (
            cls.deal_signed | cls.deal_two_banks | cls.deal_approved | cls.deal_issued | cls.deal_archived
            | cls.deal_unsigned
        )  # fmt: skip
        cls._end_request()

    @classmethod
    def _ago(cls, days):
        return cls.today - timedelta(days=days)

    @classmethod
    def _application(cls, bank, state, submitted_ago, decided_ago, **vals):
        return {
            "bank_id": bank.id,
            "state": state,
            "date_submitted": cls._ago(submitted_ago),
            "date_decision": cls._ago(decided_ago),
            **vals,
        }

    @classmethod
    def _deal(cls, user, **vals):
        """A deal written straight into its situation by the superuser (no stage move)."""
        values = {
            "name": f"Waiting deal of {user.name}",
            "type": "opportunity",
            "team_id": cls.team.id,
            "contact_name": "Ivan Petrov",
            "email_from": "ivan@example.com",
            "amount_requested": 5_000_000,
            "user_id": user.id,
            "contract_state": "signed",
            "date_contract_signed": cls._ago(25),
        }
        values.update(vals)
        return cls.env["crm.lead"].create(values)

    def _rows(self, user=None, domain=()):
        Report = self.env["broker.deal.waiting.report"]
        if user:
            Report = Report.with_user(user)
        return Report.search([("lead_id", "in", self.deals.ids), *domain])

    @staticmethod
    def _summary(rows):
        return sorted((row.lead_id.id, row.bank_id.id, row.waiting, row.days_waiting) for row in rows)

    def test_rows_and_days_waiting(self):
        rows = self._rows(self.user_manager)
        self.assertEqual(
            self._summary(rows),
            sorted(
                [
                    (self.deal_signed.id, False, "signed_not_submitted", 10),
                    (self.deal_two_banks.id, self.bank_a.id, "waiting_decision", 5),
                    (self.deal_two_banks.id, self.bank_b.id, "waiting_decision", 3),
                    (self.deal_approved.id, self.bank_a.id, "approved_not_issued", 12),
                ]
            ),
        )
        self.assertEqual(len(set(rows.ids)), len(rows), "every row has its own id")
        signed = rows.filtered(lambda row: row.waiting == "signed_not_submitted")
        self.assertEqual(signed.date_since, self._ago(10))
        self.assertFalse(signed.application_id)
        self.assertEqual(signed.amount, 5_000_000)
        approved = rows.filtered(lambda row: row.waiting == "approved_not_issued")
        self.assertEqual(approved.application_id.bank_id, self.bank_a)
        self.assertEqual(approved.amount, 4_000_000, "an approval shows the approved amount")
        self.assertEqual(approved.user_id, self.user_agent)
        self.assertEqual(approved.currency_id, self.deal_approved.company_id.currency_id)
        self.assertEqual(rows[0].waiting, "approved_not_issued", "the longest wait comes first")

    def test_signed_without_date_waits_from_contract_date(self):
        deal = self._deal(self.user_agent, date_contract_signed=False, contract_date=self._ago(6))
        self.deals |= deal
        row = self._rows(domain=[("lead_id", "=", deal.id)])
        self.assertEqual((row.waiting, row.date_since, row.days_waiting), ("signed_not_submitted", self._ago(6), 6))

    def test_deal_leaves_the_report(self):
        # submitted: the deal moves from "signed, not submitted" to "waiting for a decision"
        self.deal_signed.bank_application_ids.write({"state": "submitted", "date_submitted": self._ago(2)})
        self.env.flush_all()
        rows = self._rows(domain=[("lead_id", "=", self.deal_signed.id)])
        self.assertEqual(self._summary(rows), [(self.deal_signed.id, self.bank_c.id, "waiting_decision", 2)])
        # issued and lost deals wait no more
        self.deal_approved.write({"date_issued": self.today, "amount_issued": 4_000_000})
        self.deal_two_banks.action_set_lost()
        self.env.flush_all()
        self.assertFalse(self._rows(domain=[("lead_id", "in", (self.deal_approved | self.deal_two_banks).ids)]))

    def test_pivot_by_agent_and_situation(self):
        groups = (
            self.env["broker.deal.waiting.report"]
            .with_user(self.user_manager)
            .read_group(
                [("lead_id", "in", self.deals.ids)],
                ["days_waiting:max"],
                ["user_id", "waiting"],
                lazy=False,
            )
        )
        result = {(g["user_id"][0], g["waiting"]): (g["__count"], g["days_waiting"]) for g in groups}
        self.assertEqual(
            result,
            {
                (self.user_agent.id, "signed_not_submitted"): (1, 10),
                (self.user_agent.id, "approved_not_issued"): (1, 12),
                (self.user_agent2.id, "waiting_decision"): (2, 5),
            },
        )
        by_bank = (
            self.env["broker.deal.waiting.report"]
            .with_user(self.user_manager)
            .read_group([("lead_id", "in", self.deals.ids), ("waiting", "=", "waiting_decision")], [], ["bank_id"])
        )
        self.assertEqual({g["bank_id"][0]: g["bank_id_count"] for g in by_bank}, {self.bank_a.id: 1, self.bank_b.id: 1})
        # "Waiting More Than 7 Days"
        late = self._rows(self.user_manager, [("days_waiting", ">", 7)])
        self.assertEqual(late.lead_id, self.deal_signed | self.deal_approved)

    def test_each_sees_own_the_director_sees_all(self):
        own = self._rows(self.user_agent)
        self.assertEqual(own.lead_id, self.deal_signed | self.deal_approved)
        other = self._rows(self.user_agent2)
        self.assertEqual(other.lead_id, self.deal_two_banks)
        everyone = self.env["broker.deal.waiting.report"].with_user(self.user_agent).search([])
        self.assertTrue(
            all(self.user_agent in row.user_id | row.executor_id | row.team_id.user_id for row in everyone),
            "an agent sees only the rows of own deals",
        )
        # the team leader sees the team's deals, the manager all
        self.assertEqual(len(self._rows(self.user_leader)), 4)
        self.assertEqual(len(self._rows(self.user_manager)), 4)
        with self.assertRaises(AccessError):
            self.env["broker.deal.waiting.report"].with_user(self.user_accountant).search([])

    def test_saved_filters(self):
        action = self.env.ref("broker_crm.broker_deal_waiting_report_action")
        expected = {
            "broker_crm.broker_deal_waiting_filter_signed_not_submitted": {(self.deal_signed, "signed_not_submitted")},
            "broker_crm.broker_deal_waiting_filter_waiting_decision": {(self.deal_two_banks, "waiting_decision")},
            "broker_crm.broker_deal_waiting_filter_approved_not_issued": {(self.deal_approved, "approved_not_issued")},
        }
        names = set()
        for xmlid, situations in expected.items():
            saved = self.env.ref(xmlid)
            self.assertEqual(saved.model_id, "broker.deal.waiting.report")
            self.assertEqual(saved.action_id.id, action.id)
            self.assertFalse(saved.user_id, "a shared favorite")
            self.assertFalse(saved.is_default)
            rows = self._rows(self.user_manager, ast.literal_eval(saved.domain))
            self.assertEqual({(row.lead_id, row.waiting) for row in rows}, situations)
            names.add(saved.name)
        self.assertEqual(
            names,
            {"Signed, Not Yet Submitted", "Submitted, Waiting for a Decision", "Approved, Not Yet Issued"},
        )
        favorites = (
            self.env["ir.filters"].with_user(self.user_manager).get_filters("broker.deal.waiting.report", action.id)
        )
        self.assertTrue(names <= {favorite["name"] for favorite in favorites}, "the director finds them in Favorites")

    def test_open_deal_from_a_row(self):
        row = self._rows(self.user_agent, [("waiting", "=", "approved_not_issued")])
        action = row.action_open_deal()
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.lead", self.deal_approved.id))
