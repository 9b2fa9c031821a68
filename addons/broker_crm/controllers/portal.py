"""Partner portal: referral partners submit clients and follow their deals.

Partners are portal users with no access rights on deals or document lines: every route and RPC
of the web client refuses them. These pages are their only window. They read with `sudo()`,
always restricted by the explicit domain of the partner's commercial entity (`_broker_deals_domain`;
broker_commission adds the commissions page the same way), and hand the templates plain values
built from a whitelist of fields (`_broker_deal_summary`, `_broker_deal_detail`), never the
records themselves: passport data, INN, fees, notes, tracking and client e-mails of a deal
cannot reach a partner. The conversation with the partner is the deal's messages of the
`broker_crm.mt_partner_message` subtype, the only subtype the partner follows.
"""

import base64
import math
import os
from collections import OrderedDict

from markupsafe import Markup
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.broker_consent_request import REQUEST_VALID_HOURS, REQUESTED_KINDS
from ..models.broker_lead_document import ALLOWED_UPLOADS, MAX_UPLOAD_SIZE
from ..tools.requisites import is_valid_inn, is_valid_phone

MAX_UPLOAD_FILES = 10  # per form submission
# the client's signed consent: a scan or a photo
CONSENT_UPLOADS = (".pdf", ".jpg", ".jpeg", ".png")
DEALS_PER_PAGE = 20
MESSAGES_SHOWN = 100
PARTNER_SUBTYPE = "broker_crm.mt_partner_message"
# a partner may send the client a new confirmation link when there is no valid consent and no link
# waiting; at most this many links per deal a day, so that the client is not flooded
CONSENT_LINK_RESEND_STATES = ("missing", "expired", "link_expired")
CONSENT_LINKS_PER_DAY = 3


def _read_uploads(files):
    """Read uploaded werkzeug FileStorage objects: ([(name, raw)], [errors])."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_UPLOAD_FILES:
        return [], [request.env._("At most %s files at a time.", MAX_UPLOAD_FILES)]
    Document = request.env["broker.lead.document"]
    result, errors = [], []
    for upload in files:
        # read one byte more than allowed: enough to know the file is too large
        raw = upload.read(MAX_UPLOAD_SIZE + 1)
        name = os.path.basename(upload.filename)
        _mimetype, error = Document._check_upload(name, raw)
        if error:
            errors.append(error)
        else:
            result.append((name, raw))
    return result, errors


def _selection_label(record, fname):
    return dict(record._fields[fname]._description_selection(record.env)).get(record[fname], "")


class BrokerPortal(CustomerPortal):
    # ------------------------------------------------------------------ helpers
    def _broker_partner(self):
        """The referral partner (commercial entity) of the current portal user, or None."""
        user = request.env.user
        if user._is_public():
            return None
        partner = user.partner_id.commercial_partner_id
        if user.partner_id.is_broker_partner or partner.is_broker_partner:
            return partner
        return None

    def _broker_deals_domain(self, partner):
        return [("referral_partner_id", "child_of", partner.id)]

    def _broker_leads_sudo(self):
        # sudo: partners have no access to deals; every search on this model here is AND-ed with
        # _broker_deals_domain and only whitelisted values are rendered. Lost deals are archived:
        # partners still see them, marked as lost.
        return request.env["crm.lead"].sudo().with_context(active_test=False)

    def _broker_get_deal(self, deal_id):
        """The partner's deal (sudo, to be rendered through the whitelist only), else 404."""
        partner = self._broker_partner()
        if not partner:
            raise NotFound()
        deal = self._broker_leads_sudo().search(
            expression.AND([[("id", "=", int(deal_id))], self._broker_deals_domain(partner)]), limit=1
        )
        if not deal:
            # another partner's deal and a missing deal look the same
            raise NotFound()
        return deal

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        wanted = {"broker_deal_count", "broker_action_count"} & set(counters)
        if not wanted:
            return values
        partner = self._broker_partner()
        if not partner:
            values.update(dict.fromkeys(wanted, 0))
            return values
        Lead = self._broker_leads_sudo()
        if "broker_deal_count" in wanted:
            values["broker_deal_count"] = Lead.search_count(self._broker_deals_domain(partner))
        if "broker_action_count" in wanted:
            values["broker_action_count"] = Lead.search_count(
                expression.AND([self._broker_deals_domain(partner), self._broker_action_domain()])
            )
        return values

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        values["is_broker_partner"] = bool(self._broker_partner())
        return values

    def _broker_open_domain(self):
        """Deals not in a folded (won / lost) stage."""
        # sudo: stage ids only; stage names and order are not confidential
        folded = request.env["crm.stage"].sudo().search([("fold", "=", True)])
        return [("active", "=", True), ("stage_id", "not in", folded.ids)]

    def _broker_action_domain(self):
        """Deals waiting for the partner: documents to upload or a range to confirm with the client."""
        return [
            *self._broker_open_domain(),
            "|",
            ("missing_document_count", ">", 0),
            "&",
            ("range_needs_agreement", "=", True),
            ("range_agreement", "in", [False, "pending"]),
        ]

    def _broker_stage_sequence(self):
        """Broker stages in pipeline order (one query, cached per request by the ORM)."""
        team = request.env.ref("broker_crm.crm_team_broker", raise_if_not_found=False)
        # sudo: stage names and order are not confidential; portal users have no access to crm.stage
        return (
            request.env["crm.stage"]
            .sudo()
            .search([("broker_step", "!=", False), ("team_id", "in", [team.id] if team else [])])
        )

    def _broker_next_step(self, deal, stages):
        if deal.stage_id.fold or not deal.active:
            return ""
        if deal.missing_document_count:
            return request.env._("Upload %s missing document(s)", deal.missing_document_count)
        if deal.range_needs_agreement and deal.range_agreement in (False, "pending"):
            return request.env._("Confirm the offered range with the client")
        following = stages.filtered(lambda s: s.sequence > deal.stage_id.sequence and not s.fold)[:1]
        if following:
            return request.env._("Broker: %s", following.name)
        return ""

    # ------------------------------------------------------------------ whitelists
    def _broker_deal_summary(self, deal, stages):
        """What a partner may know of one deal in the list: the only values the templates get."""
        return {
            "id": deal.id,
            "title": deal.partner_name or deal.contact_name or deal.name,
            "name": deal.name,
            "contact_name": deal.contact_name or "",
            "partner_name": deal.partner_name or "",
            "lost": not deal.active,
            "stage": deal.stage_id.name or "",
            "amount_requested": deal.amount_requested,
            "amount_from": deal.amount_from,
            "amount_to": deal.amount_to,
            "currency": deal.company_currency,
            "write_date": deal.write_date,
            "next_step": self._broker_next_step(deal, stages),
        }

    def _broker_deal_detail(self, deal):
        """The deal page's values: the summary plus documents, range agreement and shared messages."""
        values = self._broker_deal_summary(deal, self._broker_stage_sequence())
        consent = self._broker_consent_status(deal)
        values.update(
            {
                "credit_product": deal.credit_product_id.name or "",
                "range_needs_agreement": deal.range_needs_agreement,
                "can_agree_range": deal.range_needs_agreement and deal.range_agreement in (False, "pending"),
                "range_agreement": _selection_label(deal, "range_agreement"),
                "range_agreement_note": deal.range_agreement_note or "",
                "missing_document_count": deal.missing_document_count,
                "documents": [
                    {
                        "id": line.id,
                        "name": line.document_type_id.name,
                        "state": line.state,
                        "state_label": _selection_label(line, "state"),
                        "note": line.note or "",
                        "files": line.attachment_ids.mapped("name"),
                    }
                    for line in deal.document_ids
                ],
                "stage_history": self._broker_stage_history(deal),
                "messages": self._broker_messages(deal),
                "consent": consent,
                "can_resend_consent_link": self._broker_can_resend_consent_link(deal, consent),
                "document_requests": self._broker_document_requests(deal),
            }
        )
        return values

    def _broker_document_requests(self, deal):
        """The deal's open requests for documents: due date, note and each document with its status."""
        env = request.env
        # sudo: partners have no access to requests; only the open requests of the partner's own deal
        # (already checked) are read, and only the whitelisted values below leave this method
        requests = env["broker.document.request"].sudo().search([("lead_id", "=", deal.id), ("state", "=", "open")])
        today = fields.Date.context_today(requests)
        return [
            {
                "id": doc_request.id,
                "name": doc_request.display_name,
                "date_due": doc_request.date_due,
                "overdue": doc_request.date_due < today,
                "note": doc_request.note or "",
                "lines": [
                    {
                        "id": line.id,
                        "name": line.document_type_id.name,
                        "done": line.done,
                        "state_label": env._("Uploaded") if line.done else env._("Needed"),
                    }
                    for line in doc_request.line_ids
                ],
            }
            for doc_request in requests
        ]

    def _broker_consent_status(self, deal):
        """The client's consents for the deal, as a status code and label only (no consent record)."""
        env = request.env
        # sudo: partners have no access to consents; only the states of the consents of the partner's own
        # deal (already checked) are read, and only a status code and a label leave this method
        consents = (
            env["broker.consent"]
            .sudo()
            .search([("lead_id", "=", deal.id), ("kind", "in", REQUESTED_KINDS)], order="id desc")
        )
        # sudo: same as above, for the pending confirmation links of the partner's own deal
        link = env["broker.consent.request"].sudo().search([("lead_id", "=", deal.id)], limit=1)
        states = {kind: consents.filtered(lambda c, k=kind: c.kind == k)[:1].state for kind in REQUESTED_KINDS}
        if all(state == "valid" for state in states.values()):
            code, label = "valid", env._("Given and valid")
        elif any(state == "withdrawn" for state in states.values()):
            code, label = "withdrawn", env._("Withdrawn by the client")
        elif any(states.values()):
            code, label = "expired", env._("Expired: a new consent is needed")
        elif link.state == "pending":
            code, label = "waiting", env._("Waiting for the client's confirmation by e-mail")
        elif link.state == "expired":
            code, label = "link_expired", env._("The confirmation link expired: the client did not confirm")
        else:
            code, label = "missing", env._("No consent yet")
        return {"code": code, "label": label}

    def _broker_stage_history(self, deal):
        """[(datetime, stage name)]: the creation, then each change of stage (the stage name only)."""
        # sudo: only the stage field's tracking of the partner's deal is read, and only the ids of
        # the stages are used; whatever else the same message tracked is never read
        trackings = (
            request.env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", "crm.lead"),
                    ("mail_message_id.res_id", "=", deal.id),
                    ("field_id.name", "=", "stage_id"),
                    ("field_id.model", "=", "crm.lead"),
                ],
                order="id",
            )
        )
        stage_ids = set(trackings.mapped("old_value_integer")) | set(trackings.mapped("new_value_integer"))
        # sudo: stage names are not confidential
        names = {stage.id: stage.name for stage in request.env["crm.stage"].sudo().browse(stage_ids).exists()}
        first = names.get(trackings[:1].old_value_integer) if trackings else deal.stage_id.name
        history = [(deal.create_date, first or "")]
        history += [
            (tracking.mail_message_id.date or tracking.create_date, names[tracking.new_value_integer])
            for tracking in trackings
            if tracking.new_value_integer in names
        ]
        return history

    def _broker_messages(self, deal):
        """The conversation shared with the partner: messages of the partner subtype only."""
        subtype = request.env.ref(PARTNER_SUBTYPE)
        # sudo: messages of the partner's deal posted with the partner subtype, nothing else
        messages = (
            request.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "crm.lead"),
                    ("res_id", "=", deal.id),
                    ("subtype_id", "=", subtype.id),
                    ("message_type", "in", ("comment", "email")),
                ],
                order="id desc",
                limit=MESSAGES_SHOWN,
            )
        )
        partner = request.env.user.partner_id
        return [
            {
                "author": message.author_id.name or "",
                "date": message.date,
                "body": message.body,
                "mine": message.author_id == partner,
            }
            for message in messages
        ]

    # ------------------------------------------------------------------ deals list
    def _broker_deals_searchbar(self):
        env = request.env
        sortings = OrderedDict(
            [
                ("update", {"label": env._("Last Update"), "order": "write_date desc, id desc"}),
                ("date", {"label": env._("Newest"), "order": "create_date desc, id desc"}),
                ("client", {"label": env._("Client"), "order": "contact_name, partner_name, id desc"}),
                ("stage", {"label": env._("Stage"), "order": "stage_id, id desc"}),
                ("amount", {"label": env._("Requested Amount"), "order": "amount_requested desc, id desc"}),
            ]
        )
        filters = OrderedDict(
            [
                ("all", {"label": env._("All"), "domain": []}),
                ("action", {"label": env._("Waiting for me"), "domain": self._broker_action_domain()}),
                ("open", {"label": env._("In progress"), "domain": self._broker_open_domain()}),
            ]
        )
        inputs = OrderedDict(
            [
                ("client", {"input": "client", "label": env._("Search in Client")}),
                ("deal", {"input": "deal", "label": env._("Search in Deal")}),
            ]
        )
        return sortings, filters, inputs

    def _broker_search_domain(self, search_in, search):
        if not search:
            return []
        if search_in == "deal":
            return [("name", "ilike", search)]
        return [
            "|",
            "|",
            ("contact_name", "ilike", search),
            ("partner_name", "ilike", search),
            ("name", "ilike", search),
        ]

    def _prepare_broker_deals_values(self, page=1, sortby=None, filterby=None, search=None, search_in="client"):
        """Everything /my/deals renders; the number of queries does not depend on the number of deals."""
        partner = self._broker_partner()
        Lead = self._broker_leads_sudo()
        values = self._prepare_portal_layout_values()
        sortings, filters, inputs = self._broker_deals_searchbar()
        sortby = sortby if sortby in sortings else "update"
        filterby = filterby if filterby in filters else "all"
        search_in = search_in if search_in in inputs else "client"
        domain = expression.AND(
            [
                self._broker_deals_domain(partner),
                filters[filterby]["domain"],
                self._broker_search_domain(search_in, search),
            ]
        )
        pager_values = portal_pager(
            url="/my/deals",
            url_args={"sortby": sortby, "filterby": filterby, "search_in": search_in, "search": search},
            total=Lead.search_count(domain),
            page=page,
            step=DEALS_PER_PAGE,
        )
        deals = Lead.search(domain, order=sortings[sortby]["order"], limit=DEALS_PER_PAGE,
                            offset=pager_values["offset"])  # fmt: skip
        stages = self._broker_stage_sequence()
        values.update(
            {
                "deals": [self._broker_deal_summary(deal, stages) for deal in deals],
                "page_name": "broker_deals",
                "pager": pager_values,
                "default_url": "/my/deals",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
            }
        )
        return values

    @http.route(["/my/deals", "/my/deals/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_broker_deals(self, page=1, sortby=None, filterby=None, search=None, search_in="client", **kw):
        if not self._broker_partner():
            raise NotFound()
        values = self._prepare_broker_deals_values(page, sortby, filterby, search, search_in)
        return request.render("broker_crm.portal_my_deals", values)

    # ------------------------------------------------------------------ one deal
    def _broker_deal_values(self, deal, **kwargs):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "deal": self._broker_deal_detail(deal),
                "page_name": "broker_deal",
                "upload_errors": kwargs.get("upload_errors") or {},
                "range_error": kwargs.get("range_error"),
                "message_error": kwargs.get("message_error"),
                "message": kwargs.get("message"),
                "accept": ",".join(ALLOWED_UPLOADS),
            }
        )
        return values

    @http.route(["/my/deals/<int:deal_id>"], type="http", auth="user", website=True)
    def portal_my_broker_deal(self, deal_id, message=None, **kw):
        deal = self._broker_get_deal(deal_id)
        messages = {
            "uploaded": request.env._("The files are uploaded. Thank you!"),
            "agreed": request.env._("The client's agreement is recorded."),
            "declined": request.env._("The client's refusal is recorded."),
            "created": request.env._("The client is submitted. The broker team will contact the client shortly."),
            "sent": request.env._("Your message is sent to the broker team."),
            "consent_sent": request.env._("A new confirmation link is sent to the client's e-mail."),
            "consent_not_sent": request.env._(
                "No link was sent: the client's consent is valid or withdrawn, a link is still waiting, the deal "
                "has no client e-mail, or %(count)s links were sent in the last 24 hours. Write to the broker team.",
                count=CONSENT_LINKS_PER_DAY,
            ),
        }
        return request.render(
            "broker_crm.portal_my_deal", self._broker_deal_values(deal, message=messages.get(message))
        )

    def _broker_can_resend_consent_link(self, deal, status):
        if status["code"] not in CONSENT_LINK_RESEND_STATES or not deal.email_from or not deal.partner_id:
            return False
        # sudo: partners have no access to links; only how many were sent for their own deal is counted
        sent = (
            request.env["broker.consent.request"]
            .sudo()
            .search_count(
                [
                    ("lead_id", "=", deal.id),
                    ("create_date", ">", fields.Datetime.subtract(fields.Datetime.now(), days=1)),
                ]
            )
        )
        return sent < CONSENT_LINKS_PER_DAY

    @http.route(["/my/deals/<int:deal_id>/consent-link"], type="http", auth="user", website=True, methods=["POST"])
    def portal_my_broker_deal_consent_link(self, deal_id, **post):
        """The partner sends the client a new one-time confirmation link, to the client's e-mail on the deal."""
        deal = self._broker_get_deal(deal_id)
        if not self._broker_can_resend_consent_link(deal, self._broker_consent_status(deal)):
            return request.redirect(f"/my/deals/{deal.id}?message=consent_not_sent")
        # sudo: partners have no access to consent links; the link goes to the client of the partner's own
        # deal, at the address recorded on the deal (the partner cannot choose it here)
        request.env["broker.consent.request"].sudo()._create_and_send(deal, deal.partner_id, deal.email_from)
        deal.message_post(
            body=request.env._(
                "%(partner)s sent the client a new consent confirmation link to %(email)s through the portal.",
                partner=request.env.user.partner_id.name,
                email=deal.email_from,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return request.redirect(f"/my/deals/{deal.id}?message=consent_sent")

    @http.route(["/my/deals/<int:deal_id>/documents/<int:line_id>"], type="http", auth="user", website=True,
                methods=["POST"])  # fmt: skip
    def portal_my_broker_deal_upload(self, deal_id, line_id, **post):
        deal = self._broker_get_deal(deal_id)
        # the line is searched among the lines of the partner's deal only
        line = deal.document_ids.filtered(lambda doc: doc.id == line_id)
        if not line:
            raise NotFound()
        files, errors = _read_uploads(request.httprequest.files.getlist("files"))
        if not files and not errors:
            errors = [request.env._("Choose at least one file.")]
        if not errors:
            try:
                # sudo (deal and line are): portal users cannot create attachments on deals;
                # _attach_files checks every file and the deal's quota again before writing anything
                line._attach_files(files)
            except UserError as error:
                errors = [error.args[0]]
        if errors:
            values = self._broker_deal_values(deal, upload_errors={line.id: errors})
            return request.render("broker_crm.portal_my_deal", values, status=400)
        deal.message_post(
            body=request.env._(
                "%(partner)s uploaded %(count)s file(s) for %(document)s through the portal.",
                partner=request.env.user.partner_id.name,
                count=len(files),
                document=line.document_type_id.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return request.redirect(f"/my/deals/{deal.id}?message=uploaded#documents")

    @http.route(["/my/deals/<int:deal_id>/requests/<int:line_id>"], type="http", auth="user", website=True,
                methods=["POST"])  # fmt: skip
    def portal_my_broker_deal_request_upload(self, deal_id, line_id, **post):
        deal = self._broker_get_deal(deal_id)
        # sudo: partners have no access to requests; the line is searched among the open requests of
        # the partner's own deal only
        request_line = (
            request.env["broker.document.request.line"]
            .sudo()
            .search(
                [("id", "=", line_id), ("request_id.lead_id", "=", deal.id), ("request_id.state", "=", "open")],
                limit=1,
            )
        )
        if not request_line:
            raise NotFound()
        files, errors = _read_uploads(request.httprequest.files.getlist("files"))
        if not files and not errors:
            errors = [request.env._("Choose at least one file.")]
        if not errors:
            try:
                # sudo (the checklist line of the partner's deal is): portal users cannot create attachments on
                # deals; _attach_files checks every file and the deal's quota again before writing anything, and
                # the files arriving on the checklist line mark the request line done
                request_line.document_id._attach_files(files)
            except UserError as error:
                errors = [error.args[0]]
        if errors:
            values = self._broker_deal_values(deal, upload_errors={f"request-{request_line.id}": errors})
            return request.render("broker_crm.portal_my_deal", values, status=400)
        deal.message_post(
            body=request.env._(
                "%(partner)s uploaded %(count)s file(s) for %(document)s (%(request)s) through the portal.",
                partner=request.env.user.partner_id.name,
                count=len(files),
                document=request_line.document_type_id.name,
                request=request_line.request_id.display_name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return request.redirect(f"/my/deals/{deal.id}?message=uploaded#requests")

    @http.route(["/my/deals/<int:deal_id>/range"], type="http", auth="user", website=True, methods=["POST"])
    def portal_my_broker_deal_range(self, deal_id, decision=None, comment=None, **post):
        deal_sudo = self._broker_get_deal(deal_id)  # the partner's deal; only the two fields below are written
        comment = (comment or "").strip()[:500]
        error = None
        if not (deal_sudo.range_needs_agreement and deal_sudo.range_agreement in (False, "pending")):
            error = request.env._("This deal has no offered range waiting for the client's answer.")
        elif decision not in ("agreed", "declined"):
            error = request.env._("Choose whether the client agrees or declines.")
        elif decision == "declined" and not comment:
            error = request.env._("Tell us why the client declines.")
        if error:
            values = self._broker_deal_values(deal_sudo, range_error=error)
            return request.render("broker_crm.portal_my_deal", values, status=400)
        deal_sudo.write({"range_agreement": decision, "range_agreement_note": comment or False})
        responsible = deal_sudo.executor_id or deal_sudo.user_id or deal_sudo.team_id.user_id
        if responsible:
            deal_sudo.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=request.env._("Client's answer on the range: %s",
                                      _selection_label(deal_sudo, "range_agreement")),
                # the partner's comment is plain text: escaped, never taken as HTML
                note=Markup("<p>%s</p>") % comment if comment else False,
                user_id=responsible.id,
            )  # fmt: skip
        return request.redirect(f"/my/deals/{deal_sudo.id}?message={decision}")

    @http.route(["/my/deals/<int:deal_id>/message"], type="http", auth="user", website=True, methods=["POST"])
    def portal_my_broker_deal_message(self, deal_id, body=None, **post):
        deal_sudo = self._broker_get_deal(deal_id)
        body = (body or "").strip()[:5000]
        if not body:
            values = self._broker_deal_values(deal_sudo, message_error=request.env._("Write a message first."))
            return request.render("broker_crm.portal_my_deal", values, status=400)
        # the deal's people in charge are told directly: internal followers do not follow this subtype
        responsible = deal_sudo.executor_id | deal_sudo.user_id or deal_sudo.team_id.user_id
        # sudo (the deal is): portal users cannot post on deals; the body is escaped plain text, posted
        # with the partner subtype so that it shows on the portal and nowhere else outside the office
        deal_sudo.message_post(
            body=Markup("<p>%s</p>") % body,
            author_id=request.env.user.partner_id.id,
            message_type="comment",
            subtype_xmlid=PARTNER_SUBTYPE,
            partner_ids=responsible.partner_id.ids,
        )
        return request.redirect(f"/my/deals/{deal_sudo.id}?message=sent#discussion")

    # ------------------------------------------------------------------ submit a client
    def _broker_products(self):
        # sudo: the catalogue of active credit products is public information for partners
        return request.env["broker.credit.product"].sudo().search([])

    def _broker_validate_submission(self, post, products):
        env = request.env
        errors = {}
        client_type = post.get("client_type") if post.get("client_type") in ("company", "individual") else None
        if not client_type:
            errors["client_type"] = env._("Choose the type of client.")
        if client_type == "company" and not post.get("partner_name", "").strip():
            errors["partner_name"] = env._("Enter the company name.")
        if not post.get("contact_name", "").strip():
            errors["contact_name"] = env._("Enter the client's name.")
        email = post.get("email_from", "").strip()
        phone = post.get("phone", "").strip()
        if not email and not phone:
            errors["phone"] = env._("Enter a phone number or an e-mail address.")
        if email and not email_normalize(email):
            errors["email_from"] = env._("This e-mail address is not valid.")
        if phone and not is_valid_phone(phone):
            errors["phone"] = env._("Use 10 to 15 digits, e.g. +7 900 123-45-67.")
        inn = post.get("client_inn", "").strip()
        if inn and not is_valid_inn(inn):
            errors["client_inn"] = env._("The INN must have 10 or 12 digits and a correct check digit.")
        product = products.filtered(lambda p: str(p.id) == post.get("credit_product_id"))
        if not product:
            errors["credit_product_id"] = env._("Choose a credit product.")
        try:
            amount = float((post.get("amount_requested") or "").replace(" ", "").replace("\xa0", "").replace(",", "."))
        except ValueError:
            amount = None
        if amount is None or not math.isfinite(amount):
            errors["amount_requested"] = env._("Enter the requested amount as a number.")
        elif amount <= 0:
            errors["amount_requested"] = env._("The requested amount must be above zero.")
        elif amount >= 1e13:
            errors["amount_requested"] = env._("The requested amount is too large.")
        consent_mode = post.get("consent_mode")
        if consent_mode not in ("file", "email"):
            errors["consent"] = env._(
                "Upload the client's signed consent or send the client a confirmation link by e-mail."
            )
        elif consent_mode == "email" and not email:
            errors["email_from"] = env._("Enter the client's e-mail: the confirmation link is sent there.")
        values = {
            "client_type": client_type or "company",
            "partner_name": post.get("partner_name", "").strip()[:200],
            "contact_name": post.get("contact_name", "").strip()[:200],
            "email_from": email[:200],
            "phone": phone[:50],
            "client_inn": inn[:20],
            "credit_product_id": product.id,
            "amount_requested": amount,
            "description": post.get("description", "").strip()[:5000],
            "consent_mode": consent_mode,
        }
        return values, errors

    def _broker_read_consent_file(self, vals, errors):
        """The client's signed consent uploaded with the submission: (name, raw) or None."""
        if vals["consent_mode"] != "file":
            return None
        upload = request.httprequest.files.get("consent_file")
        if not upload or not upload.filename:
            errors["consent_file"] = request.env._("Attach the client's signed consent.")
            return None
        if os.path.splitext(upload.filename)[1].lower() not in CONSENT_UPLOADS:
            errors["consent_file"] = request.env._("Upload the signed consent as PDF, JPG or PNG.")
            return None
        files, file_errors = _read_uploads([upload])
        if file_errors:
            errors["consent_file"] = " ".join(file_errors)
            return None
        return files[0]

    def _broker_new_deal_values(self, post=None, errors=None):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "broker_deal_new",
                "products": [{"id": product.id, "name": product.name} for product in self._broker_products()],
                "post": post or {},
                "errors": errors or {},
                "accept": ",".join(ALLOWED_UPLOADS),
                "max_upload_mb": MAX_UPLOAD_SIZE // (1024 * 1024),
                "consent_valid_hours": REQUEST_VALID_HOURS,
            }
        )
        return values

    @http.route(["/my/deals/new"], type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_my_broker_deal_new(self, **post):
        partner = self._broker_partner()
        if not partner:
            raise NotFound()
        if request.httprequest.method != "POST":
            return request.render("broker_crm.portal_my_deal_new", self._broker_new_deal_values())
        products = self._broker_products()
        vals, errors = self._broker_validate_submission(post, products)
        files, file_errors = _read_uploads(request.httprequest.files.getlist("documents"))
        if file_errors:
            errors["documents"] = " ".join(file_errors)
        consent_file = self._broker_read_consent_file(vals, errors)
        if errors:
            return request.render(
                "broker_crm.portal_my_deal_new", self._broker_new_deal_values(post, errors), status=400
            )
        deal = self._broker_create_deal(vals, files, consent_file)
        return request.redirect(f"/my/deals/{deal.id}?message=created")

    def _broker_responsible(self, team):
        """Who handles a new client from a partner: the team leader, else a broker manager."""
        if team.user_id:
            return team.user_id
        # sudo: the portal user may not read groups and users; only the id of an active, internal
        # broker manager is taken, to assign the to-do
        managers = request.env.ref("broker_crm.group_broker_manager").sudo().users
        return managers.filtered(lambda u: u.active and u._is_internal() and not u._is_superuser())[:1]

    def _broker_create_deal(self, vals, files, consent_file=None):
        env = request.env
        user = env.user
        # sudo: the team's leader and company are read to route the new deal; portal users cannot read teams
        team = env.ref("broker_crm.crm_team_broker").sudo()
        # sudo: portal users cannot create deals; the values were validated and whitelisted above, and
        # the referral partner is forced to the submitting user's own partner
        Lead = env["crm.lead"].sudo()
        # sudo: only the id of the broker team's first stage is read; portal users cannot read stages
        stage = env["crm.stage"].sudo().search([("broker_step", "=", "new"), ("team_id", "=", team.id)], limit=1)
        description = vals.pop("description")
        consent_mode = vals.pop("consent_mode")
        client = vals["partner_name"] if vals["client_type"] == "company" and vals["partner_name"] else vals[
            "contact_name"]  # fmt: skip
        deal = Lead.create(
            {
                **{k: v for k, v in vals.items() if v not in ("", None)},
                "name": client,
                "type": "opportunity",
                "team_id": team.id,
                "stage_id": stage.id,
                "user_id": False,
                "referral_partner_id": user.partner_id.id,
                "description": Markup("<p>%s</p>") % description if description else False,
                "company_id": team.company_id.id or user.company_id.id,
            }
        )
        # the client's contact: the consents are the client's, and the deal's customer is the same contact
        deal._handle_partner_assignment(create_missing=True)
        # the partner follows the conversation shared with it, and nothing else of the deal
        deal.message_subscribe(partner_ids=user.partner_id.ids, subtype_ids=env.ref(PARTNER_SUBTYPE).ids)
        if files:
            # sudo: portal users cannot create attachments on deals; the files go to the deal just created
            # for this partner, and _create_deal_attachments checks them and the deal's quota once more
            env["broker.lead.document"].sudo()._create_deal_attachments(deal, files)
        # sudo: neither portal users nor the public have access to consents and requests; the deal and
        # its client were just created from this validated submission
        ConsentRequest = env["broker.consent.request"].sudo()
        if consent_mode == "file":
            name, raw = consent_file
            ConsentRequest._create_consents(
                deal, deal.partner_id, "paper", user, document=base64.b64encode(raw), document_name=name
            )
            consent_note = env._("the client's signed consent is attached to the consents")
        else:
            ConsentRequest._create_and_send(deal, deal.partner_id, vals["email_from"])
            consent_note = env._("a confirmation link is sent to the client's e-mail")
        deal.message_post(
            body=env._(
                "Submitted through the partner portal by %(partner)s on %(date)s; %(consent)s. Files: %(count)s.",
                partner=user.partner_id.display_name,
                date=fields.Datetime.now().strftime("%Y-%m-%d %H:%M UTC"),
                consent=consent_note,
                count=len(files),
            ),
            subtype_xmlid="mail.mt_note",
        )
        responsible = self._broker_responsible(team)
        if responsible:
            deal.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=env._("New client from partner %s", user.partner_id.commercial_partner_id.name),
                note=env._("Contact the client within 3-5 minutes and assign an owner."),
                user_id=responsible.id,
            )
        return deal

    # ------------------------------------------------------------------ client's confirmation link
    def _broker_consent_request(self, token):
        """The request behind a link: (request, None) when it can be confirmed, else (None, (status, message))."""
        env = request.env
        # sudo: the public has no access to requests; the token's hash (256 random bits) is the whole
        # authorization, and only the request it identifies is read
        consent_request = env["broker.consent.request"].sudo()._find_by_token(token)
        if not consent_request:
            return None, (404, env._("This link is not valid. Check that you copied it completely."))
        if consent_request.state == "confirmed":
            return None, (410, env._("This link was already used: your consent is recorded. Thank you!"))
        if consent_request.state == "expired":
            return None, (
                410,
                env._("This link expired. Ask your broker or partner to send you a new one."),
            )
        return consent_request, None

    def _broker_consent_page_values(self, consent_request):
        purposes = consent_request._consent_purposes(consent_request.company_id, consent_request.partner_id.name)
        return {
            "client_name": consent_request.partner_id.name or "",
            "broker_name": consent_request.company_id.name or "",
            "purposes": [purposes[kind] for kind in REQUESTED_KINDS],
        }

    @http.route(["/consent/<string:token>"], type="http", auth="public", website=True, methods=["GET", "POST"],
                sitemap=False)  # fmt: skip
    def broker_consent_confirm(self, token, **post):
        consent_request, failure = self._broker_consent_request(token)
        if failure:
            status, message = failure
            return request.render("broker_crm.portal_consent_failure", {"message": message}, status=status)
        values = self._broker_consent_page_values(consent_request)
        if request.httprequest.method != "POST":
            return request.render("broker_crm.portal_consent_confirm", {**values, "token": token})
        if not consent_request._confirm():
            message = request.env._("This link was already used: your consent is recorded. Thank you!")
            return request.render("broker_crm.portal_consent_failure", {"message": message}, status=410)
        return request.render("broker_crm.portal_consent_done", values)
