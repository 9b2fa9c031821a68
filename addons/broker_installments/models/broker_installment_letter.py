from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .broker_installment_application import STATUSES


class BrokerInstallmentLetter(models.Model):
    """A follow-up letter due to the customer: at most one per application and status."""

    _name = "broker.installment.letter"
    _description = "Installment Follow-up Letter"
    _order = "scheduled_at desc, id desc"
    _rec_name = "template_id"

    application_id = fields.Many2one("broker.installment.application", required=True, index=True, ondelete="cascade")
    order_id = fields.Many2one(related="application_id.order_id", store=True)
    company_id = fields.Many2one(related="application_id.company_id", store=True)
    state = fields.Selection(STATUSES, string="Status", required=True, readonly=True)
    template_id = fields.Many2one("mail.template", string="Letter", required=True, readonly=True)
    scheduled_at = fields.Datetime(string="Scheduled For", required=True, readonly=True, index=True)
    send_state = fields.Selection(
        [("queued", "Queued"), ("sent", "Sent"), ("skipped", "Skipped"), ("failed", "Failed")],
        string="Sending",
        required=True,
        default="queued",
        readonly=True,
        index=True,
    )
    sent_at = fields.Datetime(string="Sent On", readonly=True)
    message_id = fields.Many2one("mail.message", readonly=True)
    failure_reason = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "application_state_uniq",
            "unique(application_id, state)",
            "This letter was already scheduled for this application and status.",
        ),
    ]

    @api.model
    def _schedule(self, applications, rules):
        """Queue the letter of each application's new status, unless one was already queued for it."""
        candidates = applications.filtered(
            lambda a: a.state in rules and rules[a.state].send_letter and rules[a.state].template_id
        )
        if not candidates:
            return self
        existing = {
            (letter.application_id.id, letter.state)
            for letter in self.search([("application_id", "in", candidates.ids)])
        }
        now = fields.Datetime.now()
        vals_list = [
            {
                "application_id": app.id,
                "state": app.state,
                "template_id": rules[app.state].template_id.id,
                "scheduled_at": now + timedelta(minutes=rules[app.state].letter_delay),
            }
            for app in candidates
            if (app.id, app.state) not in existing
        ]
        # sudo: users cannot create letters themselves; these follow the status the caller just gave the applications
        candidates.check_access("write")
        letters = self.sudo().create(vals_list).sudo(False)
        letters.filtered(lambda letter: letter.scheduled_at <= now)._send()
        return letters

    def _send(self):
        """Post each letter on its order (the customer gets it by e-mail); skip letters whose status is over."""
        obsolete = self.filtered(
            lambda letter: (
                letter.send_state != "queued"
                or letter.application_id.state != letter.state
                or not letter.application_id.active
            )
        )
        # sudo (here and below): users cannot write letters; the sending state follows what was posted, by
        # whoever may change the applications (the status change or the scheduled action)
        self.application_id.check_access("write")
        obsolete.filtered(lambda letter: letter.send_state == "queued").sudo().write({"send_state": "skipped"})
        for letter in self - obsolete:
            order = letter.order_id
            # queued, not sent inline: the mail queue delivers it, the status change stays fast;
            # the author follows the template's sender (the salesperson)
            try:
                with self.env.cr.savepoint():
                    message = order.with_context(mail_notify_force_send=False).message_post_with_source(
                        letter.template_id, subtype_xmlid="mail.mt_comment", message_type="comment"
                    )
            except UserError as error:
                # a letter that cannot go out (no sender address, broken template) must not block the status
                letter.sudo().write({"send_state": "failed", "failure_reason": str(error)[:200]})
                letter.application_id._message_log(
                    body=self.env._(
                        "The letter %(letter)s could not be sent: %(reason)s",
                        letter=letter.template_id.name,
                        reason=letter.failure_reason,
                    )
                )
                continue
            letter.sudo().write({"send_state": "sent", "sent_at": fields.Datetime.now(), "message_id": message[:1].id})

    @api.model
    def _cron_send_due(self, limit=200):
        due = self.search([("send_state", "=", "queued"), ("scheduled_at", "<=", fields.Datetime.now())], limit=limit)
        if not due:
            return
        # skip letters another worker is sending right now, so none goes out twice
        self.env.cr.execute(
            "SELECT id FROM broker_installment_letter WHERE id IN %s AND send_state = 'queued' FOR UPDATE SKIP LOCKED",
            [tuple(due.ids)],
        )
        locked = self.browse([row[0] for row in self.env.cr.fetchall()])
        locked.invalidate_recordset(["send_state"])
        locked._send()
