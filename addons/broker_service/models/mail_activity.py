from odoo import models
from odoo.exceptions import UserError

from .crm_lead import INTERNAL_ACTIVITY_TYPES


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        self._broker_check_done()
        lead_activities = self.filtered(lambda a: a.res_model == "crm.lead" and a.res_id)
        # sudo: the user closes an activity of this lead; only its service fields are updated
        Lead = self.env["crm.lead"].sudo()
        cadence_types = Lead._broker_cadence_activity_types()
        internal_types = self.env["mail.activity.type"]
        for xmlid in INTERNAL_ACTIVITY_TYPES:
            internal_types |= self.env.ref(xmlid, raise_if_not_found=False) or internal_types
        consultation_type = self.env.ref("broker_service.mail_activity_type_consultation", raise_if_not_found=False)
        contacts = lead_activities.filtered(lambda a: a.activity_type_id not in internal_types)
        # a call, meeting or consultation done outside the cadence means the client was reached
        reached = contacts.filtered(
            lambda a: (
                a.activity_type_id not in cadence_types
                and (a.activity_type_id.category in ("phonecall", "meeting") or a.activity_type_id == consultation_type)
            )
        )
        first_leads = Lead.browse(contacts.mapped("res_id")) if not self.env.user.share else Lead
        reached_leads = Lead.browse(reached.mapped("res_id"))
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        first_leads.exists()._broker_register_first_response()
        reached_leads = reached_leads.exists()
        if reached_leads:
            reached_leads._broker_stop_cadence()
        return result

    def _broker_check_done(self):
        consultation_type = self.env.ref("broker_service.mail_activity_type_consultation", raise_if_not_found=False)
        consultations = self.filtered(lambda a: a.activity_type_id == consultation_type)
        if consultations:
            # sudo: only checks that a consultation is logged for these activities
            logged = self.env["broker.consultation"].sudo().search([("activity_id", "in", consultations.ids)])
            missing = consultations - logged.activity_id
            if missing:
                raise UserError(
                    self.env._(
                        "Record the consultation first (date, channel, online or offline, summary and outcome): %s",
                        ", ".join(missing.mapped("res_name")),
                    )
                )
        for activity in self.filtered("calendar_event_id"):
            event = activity.calendar_event_id
            if (event.opportunity_id or event.res_model == "crm.lead") and not event.broker_next_action:
                raise UserError(
                    self.env._(
                        "Record the next target action agreed with the client at the end of the meeting "
                        "“%(meeting)s” before closing it.",
                        meeting=event.name,
                    )
                )
