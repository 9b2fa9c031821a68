from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import InstallmentCommon


@tagged("post_install", "-at_install")
class TestManagerTasks(InstallmentCommon):
    def test_two_calls_without_answer_close_the_task_as_refusal(self):
        with freeze_time("2025-03-10 09:00:00"):
            application = self._application()
            task = application.task_ids
            self.assertEqual(task.date_deadline.isoformat(), "2025-03-10")
            application.with_user(self.user_salesman).action_task_no_answer()
            self.assertEqual((task.outcome, task.no_answer_count), ("open", 1))
            # called again the next day
            self.assertEqual(task.activity_id.date_deadline.isoformat(), "2025-03-11")
            self.assertIn("1 of 2", application.message_ids[0].body)
        with freeze_time("2025-03-11 09:00:00"):
            application.with_user(self.user_salesman).action_task_no_answer()
        self.assertEqual((task.outcome, task.no_answer_count), ("refused", 2))
        self.assertFalse(task.activity_id.exists())
        self.assertFalse(application.activity_ids)
        self.assertTrue(task.date_done)
        done_message = application.message_ids.filtered(lambda m: m.mail_activity_type_id == task.activity_type_id)
        self.assertIn("no answer after 2 calls", str(done_message.body))
        with self.assertRaises(UserError):
            application.with_user(self.user_salesman).action_task_no_answer()

    def test_done_with_success_or_refusal(self):
        ok = self._application()
        ok.with_user(self.user_salesman).action_task_success()
        self.assertEqual(ok.task_ids.outcome, "success")
        self.assertFalse(ok.activity_ids)
        refused = self._application()
        refused.with_user(self.user_salesman).action_task_refused()
        self.assertEqual(refused.task_ids.outcome, "refused")

    def test_mark_done_from_the_activity_counts_as_success(self):
        application = self._application()
        application.activity_ids.with_user(self.user_salesman).action_feedback(feedback="Will fill the form tonight")
        self.assertEqual(application.task_ids.outcome, "success")

    def test_needs_call_today_filter(self):
        with freeze_time("2025-03-10 09:00:00"):
            due = self._application()
            called = self._application()
            called.action_task_no_answer()  # next call tomorrow
            done = self._application()
            done.action_task_success()
            Application = self.env["broker.installment.application"].with_user(self.user_salesman)
            domain = [("task_ids", "any", [("outcome", "=", "open"), ("date_deadline", "<=", "2025-03-10")])]
            self.assertEqual(Application.search(domain), due)

    def test_outcomes_are_reported_per_manager_and_status(self):
        mine = self._application()
        mine.action_task_success()
        mine.state = "bank_refused"
        mine.action_task_refused()
        theirs = self._application(self._make_order(self.user_salesman2), user=self.user_salesman2)
        theirs.action_task_refused()
        groups = (
            self.env["broker.installment.task"]
            .with_user(self.user_manager)
            ._read_group([("application_id", "in", (mine | theirs).ids)], ["user_id", "state", "outcome"], ["__count"])
        )
        self.assertEqual(
            {(user.login, state, outcome): count for user, state, outcome, count in groups},
            {
                ("inst_salesman", "not_sent", "success"): 1,
                ("inst_salesman", "bank_refused", "refused"): 1,
                ("inst_salesman2", "not_sent", "refused"): 1,
            },
        )
