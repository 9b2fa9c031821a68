from odoo import api, fields, models

from .broker_installment_application import STATUSES

# The source: after 2 calls without an answer the task closes as a refusal.
MAX_NO_ANSWER = 2

OUTCOMES = [
    ("open", "Open"),
    ("success", "Success"),
    ("refused", "Refusal"),
    ("superseded", "Closed by Status Change"),
]


class BrokerInstallmentTask(models.Model):
    """One manager task per status entered: the outcome record behind the mail.activity, kept for reporting."""

    _name = "broker.installment.task"
    _description = "Installment Manager Task"
    _order = "id desc"
    _rec_name = "application_id"

    application_id = fields.Many2one("broker.installment.application", required=True, index=True, ondelete="cascade")
    order_id = fields.Many2one(related="application_id.order_id", store=True)
    partner_id = fields.Many2one(related="application_id.partner_id", string="Customer")
    company_id = fields.Many2one(related="application_id.company_id", store=True)
    state = fields.Selection(STATUSES, string="Status", required=True, readonly=True)
    activity_type_id = fields.Many2one("mail.activity.type", string="Task Type", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, index="btree_not_null")
    user_id = fields.Many2one("res.users", string="Manager", index=True, readonly=True)
    date_deadline = fields.Date(string="Due Date", readonly=True)
    no_answer_count = fields.Integer(string="Calls Without Answer", readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, default="open", index=True, readonly=True)
    date_done = fields.Datetime(string="Closed On", readonly=True)

    @api.model
    def _create_for(self, applications, rules):
        """Schedule the activity of each application's new status and its task record, in batch."""
        todo = [(app, rules[app.state].activity_type_id) for app in applications if app.state in rules]
        todo = [(app, activity_type) for app, activity_type in todo if activity_type]
        if not todo:
            return self
        model_id = self.env["ir.model"]._get_id(applications._name)
        activity_vals, task_vals = [], []
        for app, activity_type in todo:
            user = app.user_id or app.order_id.team_id.user_id or self.env.user
            # the instructions in the manager's language
            activity_type_lang = activity_type.with_context(lang=user.lang)
            deadline = activity_type._get_date_deadline()
            activity_vals.append(
                {
                    "res_model_id": model_id,
                    "res_id": app.id,
                    "activity_type_id": activity_type.id,
                    "summary": activity_type_lang.summary or activity_type_lang.name,
                    "note": activity_type_lang.default_note,
                    "user_id": user.id,
                    "date_deadline": deadline,
                    "automated": True,
                }
            )
            task_vals.append(
                {
                    "application_id": app.id,
                    "state": app.state,
                    "activity_type_id": activity_type.id,
                    "user_id": user.id,
                    "date_deadline": deadline,
                }
            )
        # no "assigned to you" e-mail per task: the task shows in the manager's activities
        activities = self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(activity_vals)
        for vals, activity in zip(task_vals, activities, strict=True):
            vals["activity_id"] = activity.id
        # sudo: users cannot create tasks themselves; these follow the status the caller just gave the applications
        applications.check_access("write")
        return self.sudo().create(task_vals).sudo(False)

    def _close(self, outcome, feedback=False):
        tasks = self.filtered(lambda t: t.outcome == "open")
        if not tasks:
            return
        tasks.application_id.check_access("write")
        # the tasks are closed here: the activity overrides need not look for them
        activities = tasks.activity_id.with_context(broker_installment_task_closed=True)
        # sudo: users cannot write tasks; whoever may change the application closes its task
        tasks.sudo().write({"outcome": outcome, "date_done": fields.Datetime.now()})
        if outcome == "superseded":
            activities.unlink()
        elif activities:
            activities._action_done(feedback=feedback)

    def action_success(self):
        self._close("success", self.env._("Success: the customer took the next step or promised to."))

    def action_refused(self):
        self._close("refused", self.env._("Refusal."))

    def action_no_answer(self):
        """Log a call without answer; the second one closes the task as a refusal."""
        open_tasks = self.filtered(lambda t: t.outcome == "open")
        open_tasks.application_id.check_access("write")
        for task in open_tasks:
            # sudo: users cannot write tasks; whoever may change the application logs its calls
            task.sudo().no_answer_count += 1
            if task.no_answer_count >= MAX_NO_ANSWER:
                task._close(
                    "refused",
                    self.env._("Refusal: no answer after %(count)s calls.", count=task.no_answer_count),
                )
                continue
            task.application_id._message_log(
                body=self.env._(
                    "Call without answer (%(count)s of %(max)s).", count=task.no_answer_count, max=MAX_NO_ANSWER
                )
            )
            if task.activity_id:
                # call again tomorrow
                tomorrow = fields.Date.add(fields.Date.context_today(task), days=1)
                task.activity_id.date_deadline = tomorrow
                task.sudo().date_deadline = tomorrow  # sudo: as above
