from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # "Mark Done" from the standard activity widget counts as a success of the installment task
        self._installment_tasks().write({"outcome": "success", "date_done": fields.Datetime.now()})
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        # a cancelled activity leaves no open task behind
        self._installment_tasks().write({"outcome": "superseded", "date_done": fields.Datetime.now()})
        return super().unlink()

    def _installment_tasks(self):
        if self.env.context.get("broker_installment_task_closed"):
            return self.env["broker.installment.task"]
        activities = self.filtered(lambda a: a.res_model == "broker.installment.application")
        if not activities:
            return self.env["broker.installment.task"]
        # sudo: only the outcome of the tasks behind these activities is set; whoever may close an activity
        # closes its task
        return (
            self.env["broker.installment.task"]
            .sudo()
            .search([("activity_id", "in", activities.ids), ("outcome", "=", "open")])
        )
