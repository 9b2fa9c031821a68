import psycopg2

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import BrokerCrmCommon, new_broker_user

LIST_SPEC = {
    "lead_id": {"fields": {"display_name": {}}},
    "bank_id": {"fields": {"display_name": {}}},
    "product_name": {},
    "state": {},
    "date_submitted": {},
    "date_decision_expected": {},
    "days_waiting": {},
    "amount_approved": {},
    "approval_valid_until": {},
    "executor_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "currency_id": {"fields": {}},
    "is_overdue": {},
    "is_open": {},
}


@tagged("post_install", "-at_install")
class TestBankApplications(BrokerCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_broker_user(cls.env, "bank_agent", "agent")
        cls.other_agent = new_broker_user(cls.env, "bank_agent_other", "agent")
        cls.manager = new_broker_user(cls.env, "bank_manager", "manager")
        cls.doc_income.validity_days = 30
        cls.doc_statement = cls.env["broker.document.type"].create({"name": "Bank statement", "validity_days": 30})
        cls.bank_slow = cls.env["res.bank"].create(
            {"name": "Slow Bank", "broker_decision_days": 5, "broker_approval_valid_days": 30,
             "broker_document_type_ids": [Command.set(cls.doc_statement.ids)]}
        )  # fmt: skip
        cls.bank_fast = cls.env["res.bank"].create(
            {"name": "Fast Bank", "broker_decision_days": 2, "broker_approval_valid_days": 10}
        )
        cls.activity_type = cls.env.ref("broker_crm.mail_activity_type_credit_support")

    def _deal(self, user=None, **vals):
        return self._new_deal(user or self.agent, **vals).with_user(user or self.agent)

    def _ready_deal(self, date_issued="2026-11-16"):
        lead = self._deal()
        self._upload_documents(lead, date_issued=date_issued)
        return lead

    def _tasks(self, lead):
        return self.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", lead.id), ("activity_type_id", "=", self.activity_type.id)]
        )

    @freeze_time("2026-11-20 10:00:00")  # a Friday
    def test_parallel_applications_keep_their_own_deadlines(self):
        lead = self._ready_deal()
        lead.write(
            {
                "bank_application_ids": [
                    Command.create({"bank_id": self.bank_slow.id}),
                    Command.create({"bank_id": self.bank_fast.id}),
                ]
            }
        )
        apps = lead.bank_application_ids
        slow = apps.filtered(lambda a: a.bank_id == self.bank_slow)
        fast = apps - slow
        self.assertIn(self.doc_statement, lead.document_ids.document_type_id, "the bank's documents join the checklist")
        self._upload_documents(lead, date_issued="2026-11-16")
        (slow | fast).action_submit()
        self.assertEqual(str(slow.date_submitted), "2026-11-20")
        # working days of the company calendar: the weekend does not count
        self.assertEqual(str(fast.date_decision_expected), "2026-11-24")
        self.assertEqual(str(slow.date_decision_expected), "2026-11-27")
        self.assertTrue(lead.bank_submitted)
        # the executor can agree another date with the bank
        fast.date_decision_expected = "2026-11-25"
        with freeze_time("2026-11-26"):
            self.assertTrue(fast.is_overdue)
            self.assertFalse(slow.is_overdue)
            self.assertEqual(fast.days_waiting, 6)
            overdue = self.env["broker.bank.application"].with_user(self.agent).search([("is_overdue", "=", True)])
            self.assertEqual(overdue, fast)

    @freeze_time("2026-11-20 10:00:00")
    def test_overdue_decision_gives_the_executor_one_task(self):
        lead = self._ready_deal()
        lead.write({"executor_id": self.other_agent.id})
        app = (
            self.env["broker.bank.application"]
            .with_user(self.agent)
            .create(
                {"lead_id": lead.id, "bank_id": self.bank_fast.id, "state": "submitted", "bank_contact": "Irina, 8 495"}
            )
        )
        Application = self.env["broker.bank.application"]
        Application._cron_bank_applications()
        self.assertFalse(self._tasks(lead), "nothing is overdue yet")
        with freeze_time("2026-11-25 09:00:00"):
            Application._cron_bank_applications()
            Application._cron_bank_applications()
            tasks = self._tasks(lead)
            self.assertEqual(len(tasks), 1, "one task, however often the job runs")
            self.assertEqual(tasks.user_id, self.other_agent, "the executor gets it")
            self.assertIn("Fast Bank", tasks.summary)
            self.assertIn("Irina", str(tasks.note))
            # a decision closes the matter
            app.with_user(self.other_agent).write({"state": "approved", "amount_approved": 1_000_000})
            self.assertEqual(str(app.date_decision), "2026-11-25")
            self.assertFalse(app.is_overdue)

    @freeze_time("2026-11-20 10:00:00")
    def test_approval_lapse_is_announced_a_week_before(self):
        lead = self._ready_deal()
        app = (
            self.env["broker.bank.application"]
            .with_user(self.agent)
            .create({"lead_id": lead.id, "bank_id": self.bank_fast.id, "state": "submitted"})
        )
        app.write({"state": "approved", "amount_approved": 2_000_000, "rate": 14.9, "term_months": 36})
        self.assertEqual(str(app.approval_valid_until), "2026-11-30", "the bank's approval validity")
        Application = self.env["broker.bank.application"]
        Application._cron_bank_applications()
        self.assertFalse(self._tasks(lead), "ten days ahead: not yet")
        with freeze_time("2026-11-23"):
            Application._cron_bank_applications()
            self.assertEqual(len(self._tasks(lead)), 1, "within a week of the lapse: the executor is warned")
            Application._cron_bank_applications()
            self.assertEqual(len(self._tasks(lead)), 1, "once")
        self.assertEqual(self._tasks(lead).date_deadline, app.approval_valid_until)
        with freeze_time("2026-12-01"):
            Application._cron_bank_applications()
            self.assertEqual(app.state, "expired", "an approval that lapsed without a credit expires")
        self.assertFalse(lead.bank_approved)

    @freeze_time("2026-11-24 10:00:00")
    def test_document_validity_and_submission_with_an_expired_document(self):
        lead = self._deal()
        income = lead.document_ids.filtered(lambda line: line.document_type_id == self.doc_income)
        passport = lead.document_ids - income
        self._upload_documents(lead)
        self.assertEqual(str(income.date_issued), "2026-11-24", "an upload without a date is issued today")
        income.date_issued = "2026-10-20"
        self.assertEqual(str(income.date_valid_until), "2026-11-19")
        self.assertEqual(income.validity_state, "expired")
        self.assertFalse(passport.date_valid_until, "no validity on the type: no end date")
        passport.date_valid_until = "2026-11-28"  # the date written on the document
        self.assertEqual(passport.validity_state, "expiring")
        self.assertEqual((lead.expired_document_count, lead.expiring_document_count), (1, 1))
        Line = self.env["broker.lead.document"].with_user(self.agent)
        self.assertEqual(Line.search([("lead_id", "=", lead.id), ("validity_state", "=", "expired")]), income)

        app = (
            self.env["broker.bank.application"]
            .with_user(self.agent)
            .create({"lead_id": lead.id, "bank_id": self.bank_fast.id})
        )
        with self.assertRaisesMessage(UserError, r"cannot be submitted: expired: Income \(valid until 2026-11-19\)"):
            app.action_submit()
        self.assertEqual(app.state, "draft")
        # over RPC, the status write is checked the same way
        with self.assertRaisesMessage(UserError, "Income"):
            app.write({"state": "submitted"})
        with self.assertRaisesMessage(UserError, "Income"):
            self.env["broker.bank.application"].with_user(self.agent).create(
                {"lead_id": lead.id, "bank_id": self.bank_slow.id, "state": "submitted"}
            )
        # a new certificate, uploaded today, makes it valid again
        income._attach_files([("income-new.pdf", b"%PDF-1.4 new", "application/pdf")])
        self.assertEqual(str(income.date_valid_until), "2026-12-24")
        app.action_submit()
        self.assertEqual(app.state, "submitted")
        # the slow bank also needs a statement the deal does not have yet
        app_slow = (
            self.env["broker.bank.application"]
            .with_user(self.agent)
            .create({"lead_id": lead.id, "bank_id": self.bank_slow.id})
        )
        with self.assertRaisesMessage(UserError, "missing: Bank statement"):
            app_slow.action_submit()

    @freeze_time("2026-11-24 10:00:00")
    def test_expiring_document_of_an_open_application_gives_a_task_once(self):
        lead = self._ready_deal(date_issued="2026-10-28")  # income valid until 2026-11-27
        idle = self._ready_deal(date_issued="2026-10-28")  # no bank application: nobody is chased
        self.env["broker.bank.application"].with_user(self.agent).create(
            {"lead_id": lead.id, "bank_id": self.bank_fast.id, "state": "submitted"}
        )
        Line = self.env["broker.lead.document"]
        Line._cron_document_expiry()
        Line._cron_document_expiry()
        tasks = self._tasks(lead)
        self.assertEqual(len(tasks), 1)
        self.assertIn("Income", tasks.summary)
        self.assertEqual(str(tasks.date_deadline), "2026-11-27")
        self.assertFalse(self._tasks(idle))
        # a renewed document that expires again is announced again
        income = lead.document_ids.filtered(lambda line: line.document_type_id == self.doc_income)
        with freeze_time("2026-12-22"):
            income.date_issued = "2026-11-23"  # valid until 2026-12-23
            Line._cron_document_expiry()
            self.assertEqual(len(self._tasks(lead)), 2)

    def test_each_sees_own_applications_the_manager_all(self):
        mine = self._deal(self.agent)
        theirs = self._deal(self.other_agent)
        for lead in (mine, theirs):
            self.env["broker.bank.application"].create({"lead_id": lead.id, "bank_id": self.bank_fast.id})
        Application = self.env["broker.bank.application"]
        domain = [("lead_id", "in", (mine | theirs).ids)]
        self.assertEqual(Application.with_user(self.agent).search(domain).lead_id, mine)
        self.assertEqual(Application.with_user(self.user_leader).search(domain).lead_id, mine | theirs,
                         "the team leader sees the team's")  # fmt: skip
        self.assertEqual(Application.with_user(self.manager).search(domain).lead_id, mine | theirs)
        with self.assertRaises(AccessError):
            theirs.bank_application_ids.with_user(self.agent).read(["state"])
        with self.assertRaises(AccessError):
            Application.with_user(self.agent).create({"lead_id": theirs.id, "bank_id": self.bank_fast.id})
        with self.assertRaises(AccessError):
            Application.with_user(self.user_accountant).create({"lead_id": mine.id, "bank_id": self.bank_fast.id})

    def test_applications_handed_to_a_bank_are_never_deleted(self):
        lead = self._ready_deal()
        Application = self.env["broker.bank.application"].with_user(self.manager)
        mistake = Application.create({"lead_id": lead.id, "bank_id": self.bank_slow.id})
        sent = Application.create({"lead_id": lead.id, "bank_id": self.bank_fast.id, "state": "submitted"})
        with self.assertRaisesMessage(UserError, "stays on the deal"):
            sent.unlink()
        sent.state = "withdrawn"
        with self.assertRaisesMessage(UserError, "stays on the deal"):
            sent.unlink()
        self.assertTrue(sent.exists())
        mistake.unlink()  # one still being prepared is just a mistake
        self.assertFalse(mistake.exists())
        with self.assertRaises(AccessError):
            sent.with_user(self.agent).unlink()

    def test_bad_inputs_are_refused(self):
        lead = self._ready_deal()
        Application = self.env["broker.bank.application"].with_user(self.agent)
        with self.assertRaises(UserError):  # the constraint names the bank
            Application.create(
                {"lead_id": lead.id, "bank_id": self.bank_fast.id, "date_submitted": "2026-11-20",
                 "date_decision": "2026-11-10"}
            )  # fmt: skip
        with self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
            Application.create({"lead_id": lead.id, "bank_id": self.bank_fast.id, "amount_approved": -1})
        self.assertFalse(lead.bank_application_ids)

    def test_credit_support_list_queries_are_bounded(self):
        """The credit support list reads 1,000 open applications with a fixed number of queries."""
        leads = self.env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True).create(
            [{"name": f"Deal {i}", "type": "opportunity", "team_id": self.team.id,
              "user_id": (self.agent if i % 2 else self.other_agent).id} for i in range(100)]
        )  # fmt: skip
        today = fields.Date.today()
        self.env["broker.bank.application"].with_context(tracking_disable=True).create(
            [{"lead_id": leads[i % 100].id, "bank_id": (self.bank_fast if i % 3 else self.bank_slow).id,
              "state": "submitted", "date_submitted": today} for i in range(1000)]
        )  # fmt: skip
        Application = self.env["broker.bank.application"].with_user(self.manager)
        domain = [("is_open", "=", True), ("lead_id", "in", leads.ids)]
        Application.web_search_read(domain, LIST_SPEC, limit=1)  # warm the caches
        for limit in (80, 1000):
            self.env.invalidate_all()
            with self.assertQueryCount(12):
                result = Application.web_search_read(domain, LIST_SPEC, limit=limit)
            self.assertEqual(len(result["records"]), limit)
        self.env.invalidate_all()
        with self.assertQueryCount(6):
            groups = Application.web_read_group(domain, ["bank_id"], ["bank_id"])
        self.assertEqual(sum(g["bank_id_count"] for g in groups["groups"]), 1000)
