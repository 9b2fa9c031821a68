from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, format_date, plaintext2html

PARTNER_SUBTYPE = "broker_crm.mt_partner_message"


class BrokerDocumentRequest(models.Model):
    """More documents asked for on a deal, after the analysis or by a bank.

    The referral partner sees the request on the portal deal page and uploads into it, the client gets
    the list by e-mail; the request closes itself once a file arrived for every requested document.
    """

    _name = "broker.document.request"
    _inherit = ["mail.thread"]
    _description = "Request for Documents"
    _order = "state, date_due, id desc"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    origin = fields.Selection(
        [("analysis", "Analysis"), ("bank", "Bank")],
        string="Requested After",
        required=True,
        default="analysis",
        help="Who needs the documents: the broker's own analysis or a bank the application went to.",
    )
    bank_application_id = fields.Many2one(
        "broker.bank.application",
        domain="[('lead_id', '=', lead_id)]",
        ondelete="set null",
    )
    date_due = fields.Date(string="Due Date", required=True, tracking=True)
    note = fields.Text(help="Shown to the referral partner and e-mailed to the client.")
    line_ids = fields.One2many("broker.document.request.line", "request_id", string="Requested Documents")
    document_type_ids = fields.Many2many(
        "broker.document.type",
        string="Documents",
        compute="_compute_document_type_ids",
        inverse="_inverse_document_type_ids",
        help="The documents still needed; each one is added to the deal's checklist when missing there.",
    )
    state = fields.Selection(
        [("open", "Open"), ("done", "Received"), ("cancelled", "Cancelled")],
        string="Status",
        required=True,
        default="open",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    executor_id = fields.Many2one(related="lead_id.executor_id", string="Executor", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    escalated = fields.Boolean(
        copy=False, readonly=True, help="The executor was given a task for this request being overdue."
    )
    date_done = fields.Datetime(string="Received On", copy=False, readonly=True)

    @api.depends("line_ids.document_type_id")
    def _compute_document_type_ids(self):
        for request in self:
            request.document_type_ids = request.line_ids.document_type_id

    def _inverse_document_type_ids(self):
        # documents are only added: a requested document stays on the request once asked for
        vals_list = [
            {"request_id": request.id, "document_type_id": doc_type.id}
            for request in self
            for doc_type in request.document_type_ids - request.line_ids.document_type_id
        ]
        self.env["broker.document.request.line"].create(vals_list)

    def _compute_display_name(self):
        for request in self:
            if request.id:
                request.display_name = self.env._("Request for Documents #%(number)s", number=request.id)
            else:
                request.display_name = self.env._("New Request for Documents")

    @api.constrains("bank_application_id", "lead_id")
    def _check_bank_application(self):
        for request in self:
            if request.bank_application_id and request.bank_application_id.lead_id != request.lead_id:
                raise ValidationError(self.env._("The bank application must belong to the same deal."))

    # ------------------------------------------------------------------ create
    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # who may not create requests learns nothing about the input
        today = fields.Date.context_today(self)
        for vals in vals_list:
            # checked first, so that nothing is written for a request that cannot be sent
            if not (vals.get("document_type_ids") or vals.get("line_ids")):
                raise UserError(self.env._("Choose at least one document to request."))
            if vals.get("date_due") and fields.Date.to_date(vals["date_due"]) < today:
                raise UserError(self.env._("The due date of a request for documents cannot be in the past."))
        requests = super().create(vals_list)
        for request in requests:
            if not request.line_ids:
                raise UserError(self.env._("Choose at least one document to request."))
        requests._broker_announce()
        return requests

    def write(self, vals):
        if vals.get("date_due"):
            if fields.Date.to_date(vals["date_due"]) < fields.Date.context_today(self):
                raise UserError(self.env._("The due date of a request for documents cannot be in the past."))
            # a new due date is a new chance: the executor is told again if it is missed too
            vals = {**vals, "escalated": False}
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_admin(self):
        # the request is part of the deal's history: it is cancelled, and only administrators delete
        if not (self.env.su or self.env.user._is_admin()):
            raise UserError(self.env._("Requests for documents are not deleted: cancel them instead."))

    def _broker_document_names(self, lines=None):
        self.ensure_one()
        return ", ".join((lines if lines is not None else self.line_ids).document_type_id.mapped("name"))

    def _broker_announce(self):
        """Tell the referral partner (on the portal deal page) and the client (by e-mail) what is needed."""
        to_email = self.browse()
        for request in self:
            lead = request.lead_id
            names = request.line_ids.document_type_id.mapped("name")
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._(
                    "%(request)s: please upload these documents by %(date)s.",
                    request=request.display_name,
                    date=format_date(self.env, request.date_due),
                ),
                Markup("").join(Markup("<li>%s</li>") % name for name in names),
            )
            if request.note:
                body += plaintext2html(request.note)
            # the partner subtype is the conversation the referral partner sees; without a partner it is a note
            lead.message_post(
                body=body,
                message_type="comment",
                subtype_xmlid=PARTNER_SUBTYPE if lead.referral_partner_id else "mail.mt_note",
            )
            if email_normalize(lead.email_from or lead.partner_id.email or ""):
                to_email |= request
            else:
                lead.message_post(
                    body=self.env._(
                        "%(request)s was not e-mailed to the client: the deal has no client e-mail. "
                        "Tell the client which documents are needed.",
                        request=request.display_name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        if to_email:
            template = self.env.ref("broker_crm.mail_template_document_request")
            template.send_mail_batch(to_email.ids, email_layout_xmlid="mail.mail_notification_light")
            for request in to_email:
                request.message_post(
                    body=self.env._("The list of documents is e-mailed to the client."), subtype_xmlid="mail.mt_note"
                )

    # ------------------------------------------------------------------ actions
    def action_cancel(self):
        self.filtered(lambda request: request.state == "open").write({"state": "cancelled"})

    def _broker_close(self):
        """Every requested document arrived: the request is done and the deal says so."""
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        for request in self:
            request.lead_id.message_post(
                body=self.env._(
                    "%(request)s is complete: every requested document is uploaded (%(documents)s).",
                    request=request.display_name,
                    documents=request._broker_document_names(),
                ),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------ jobs
    @api.model
    def _cron_document_requests(self):
        """Daily: an open request past its due date becomes a task of the deal's executor, once."""
        today = fields.Date.context_today(self)
        requests = self.search([("state", "=", "open"), ("date_due", "<", today), ("escalated", "=", False)])
        if not requests:
            return
        activity_type = self.env.ref("broker_crm.mail_activity_type_credit_support")
        model_id = self.env["ir.model"]._get_id("crm.lead")
        vals_list = []
        for request in requests:
            lead = request.lead_id
            user = lead.executor_id or lead.user_id or request.user_id
            if not user:
                continue
            missing = request.line_ids.filtered(lambda line: not line.done)
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "Overdue: %(request)s (%(documents)s)",
                        request=request.display_name,
                        documents=request._broker_document_names(missing),
                    ),
                    "note": self.env._(
                        "The documents requested by %(date)s are still missing: %(documents)s. "
                        "Remind the referral partner or the client, or move the due date.",
                        date=format_date(self.env, request.date_due),
                        documents=request._broker_document_names(missing),
                    ),
                    "date_deadline": today,
                    "user_id": user.id,
                }
            )
        self.env["mail.activity"].create(vals_list)
        requests.write({"escalated": True})
