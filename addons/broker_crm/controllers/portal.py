"""Partner portal: referral partners submit clients and follow their deals and commissions.

Partners are portal users. What they see is decided by record rules on their commercial entity
(security/broker_portal_security.xml); every search here runs with the partner's own rights and
`sudo()` is only used on records already returned by such a search (to render related fields such
as the stage name, which portal users may not read directly) or to write the few whitelisted
values a partner is allowed to change.
"""

import math
import os
from collections import OrderedDict

from markupsafe import Markup
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..tools.requisites import is_valid_inn, is_valid_phone

MAX_UPLOAD_SIZE = 10 * 1024 * 1024  # 10 MB per file
MAX_UPLOAD_FILES = 10

# extension -> (mimetype, content check)
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
ALLOWED_UPLOADS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".heic": ("image/heic", None),  # checked on the ISO-BMFF "ftyp" box below
    ".doc": ("application/msword", _OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
}
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
# executables and scripts, whatever their file name says
EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"#!",  # scripts
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
)

DEALS_PER_PAGE = 20


def _check_upload(name, raw):
    """Return (mimetype, None) for an acceptable file, or (None, error message)."""
    env = request.env
    ext = os.path.splitext(name or "")[1].lower()
    if ext not in ALLOWED_UPLOADS:
        return None, env._(
            "%(file)s: this file type is not accepted. Upload PDF, JPG, PNG, HEIC, DOC(X) or XLS(X).", file=name
        )
    if not raw:
        return None, env._("%(file)s is empty.", file=name)
    if len(raw) > MAX_UPLOAD_SIZE:
        return None, env._(
            "%(file)s is too large: at most %(size)s MB per file.", file=name, size=MAX_UPLOAD_SIZE // (1024 * 1024)
        )
    mimetype, signatures = ALLOWED_UPLOADS[ext]
    if raw.startswith(EXECUTABLE_SIGNATURES):
        return None, env._("%(file)s looks like a program: it is not accepted.", file=name)
    if signatures is None:
        valid = raw[4:8] == b"ftyp" and raw[8:12] in HEIC_BRANDS
    else:
        valid = raw.startswith(signatures)
    if not valid:
        return None, env._("%(file)s: the content does not match its %(ext)s extension.", file=name, ext=ext)
    return mimetype, None


def _read_uploads(files):
    """Read uploaded werkzeug FileStorage objects: ([(name, raw, mimetype)], [errors])."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_UPLOAD_FILES:
        return [], [request.env._("At most %s files at a time.", MAX_UPLOAD_FILES)]
    result, errors = [], []
    for upload in files:
        # read one byte more than allowed: enough to know the file is too large
        raw = upload.read(MAX_UPLOAD_SIZE + 1)
        name = os.path.basename(upload.filename)
        mimetype, error = _check_upload(name, raw)
        if error:
            errors.append(error)
        else:
            result.append((name, raw, mimetype))
    return result, errors


class BrokerPortal(CustomerPortal):
    # ------------------------------------------------------------------ helpers
    def _broker_partner(self):
        """The referral partner (commercial entity) of the current portal user, or None."""
        user = request.env.user
        if user._is_public():
            return None
        partner = user.partner_id
        if partner.is_broker_partner or partner.commercial_partner_id.is_broker_partner:
            return partner.commercial_partner_id
        return None

    def _broker_deals_domain(self):
        # the record rule already restricts portal users; repeat it so internal users see the same
        return [("referral_partner_id", "child_of", [request.env.user.commercial_partner_id.id])]

    def _broker_commissions_domain(self):
        return [("partner_id", "child_of", [request.env.user.commercial_partner_id.id])]

    def _broker_get_deal(self, deal_id):
        """The deal if the current user may see it through the partner portal, else 404."""
        if not self._broker_partner():
            raise NotFound()
        # lost deals are archived: the partner still sees them, marked as lost
        deal = (
            request.env["crm.lead"]
            .with_context(active_test=False)
            .search(expression.AND([[("id", "=", int(deal_id))], self._broker_deals_domain()]), limit=1)
        )
        if not deal:
            # another partner's deal and a missing deal look the same
            raise NotFound()
        return deal

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        wanted = {"broker_deal_count", "broker_action_count", "broker_commission_count"} & set(counters)
        if not wanted:
            return values
        if not self._broker_partner():
            values.update(dict.fromkeys(wanted, 0))
            return values
        Lead = request.env["crm.lead"].with_context(active_test=False)
        if "broker_deal_count" in wanted:
            values["broker_deal_count"] = Lead.search_count(self._broker_deals_domain())
        if "broker_action_count" in wanted:
            values["broker_action_count"] = Lead.search_count(
                expression.AND([self._broker_deals_domain(), self._broker_action_domain()])
            )
        if "broker_commission_count" in wanted:
            values["broker_commission_count"] = request.env["broker.commission"].search_count(
                self._broker_commissions_domain()
            )
        return values

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        values["is_broker_partner"] = bool(self._broker_partner())
        return values

    def _broker_open_domain(self):
        """Deals not in a folded (won / lost) stage; portal users cannot search on crm.stage themselves."""
        # sudo: stage ids only; the deals themselves are still searched with the partner's rights
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
        Lead = request.env["crm.lead"].with_context(active_test=False)  # lost deals are shown as lost
        values = self._prepare_portal_layout_values()
        sortings, filters, inputs = self._broker_deals_searchbar()
        sortby = sortby if sortby in sortings else "update"
        filterby = filterby if filterby in filters else "all"
        search_in = search_in if search_in in inputs else "client"
        domain = expression.AND(
            [
                self._broker_deals_domain(),
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
        # sudo: only the deals the partner's own search returned, to read their stage and product names
        deals_sudo = deals.sudo()
        stages = self._broker_stage_sequence()
        values.update(
            {
                "deals": deals_sudo,
                "next_steps": {deal.id: self._broker_next_step(deal, stages) for deal in deals_sudo},
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
        request.session["my_broker_deals_history"] = values["deals"].ids[:100]
        return request.render("broker_crm.portal_my_deals", values)

    # ------------------------------------------------------------------ one deal
    def _broker_stage_history(self, deal_sudo):
        """[(datetime, stage name)] from the creation and the tracking of the stage."""
        # sudo: the deal was checked by _broker_get_deal; tracking values are not readable by portal users
        trackings = (
            request.env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", "crm.lead"),
                    ("mail_message_id.res_id", "=", deal_sudo.id),
                    ("field_id.name", "=", "stage_id"),
                    ("field_id.model", "=", "crm.lead"),
                ],
                order="id",
            )
        )
        first = trackings[:1].old_value_char if trackings else deal_sudo.stage_id.name
        history = [(deal_sudo.create_date, first)]
        history += [(t.mail_message_id.date or t.create_date, t.new_value_char) for t in trackings]
        return history

    def _broker_deal_values(self, deal, **kwargs):
        deal_sudo = deal.sudo()  # sudo: checked by _broker_get_deal
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "deal": deal_sudo,
                "page_name": "broker_deal",
                "stage_history": self._broker_stage_history(deal_sudo),
                "next_step": self._broker_next_step(deal_sudo, self._broker_stage_sequence()),
                "can_agree_range": deal_sudo.range_needs_agreement and deal_sudo.range_agreement in (False, "pending"),
                "disable_composer": True,
                "upload_errors": kwargs.get("upload_errors") or {},
                "range_error": kwargs.get("range_error"),
                "message": kwargs.get("message"),
                "accept": ",".join(ALLOWED_UPLOADS),
            }
        )
        return self._get_page_view_values(deal_sudo, None, values, "my_broker_deals_history", False)

    @http.route(["/my/deals/<int:deal_id>"], type="http", auth="user", website=True)
    def portal_my_broker_deal(self, deal_id, message=None, **kw):
        deal = self._broker_get_deal(deal_id)
        messages = {
            "uploaded": request.env._("The files are uploaded. Thank you!"),
            "agreed": request.env._("The client's agreement is recorded."),
            "declined": request.env._("The client's refusal is recorded."),
            "created": request.env._("The client is submitted. The broker team will contact the client shortly."),
        }
        return request.render(
            "broker_crm.portal_my_deal", self._broker_deal_values(deal, message=messages.get(message))
        )

    @http.route(["/my/deals/<int:deal_id>/documents/<int:line_id>"], type="http", auth="user", website=True,
                methods=["POST"])  # fmt: skip
    def portal_my_broker_deal_upload(self, deal_id, line_id, **post):
        deal = self._broker_get_deal(deal_id)
        # sudo: the deal is the partner's (checked above) and the line is searched among its lines only
        line = deal.sudo().document_ids.filtered(lambda doc: doc.id == line_id)
        if not line:
            raise NotFound()
        files, errors = _read_uploads(request.httprequest.files.getlist("files"))
        if not files and not errors:
            errors = [request.env._("Choose at least one file.")]
        if errors:
            values = self._broker_deal_values(deal, upload_errors={line.id: errors})
            return request.render("broker_crm.portal_my_deal", values, status=400)
        # sudo: portal users cannot create attachments on deals; the files passed the checks above
        line.sudo().attach_files(files)
        deal.sudo().message_post(
            body=request.env._(
                "%(partner)s uploaded %(count)s file(s) for %(document)s through the portal.",
                partner=request.env.user.partner_id.name,
                count=len(files),
                document=line.document_type_id.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return request.redirect(f"/my/deals/{deal.id}?message=uploaded#documents")

    @http.route(["/my/deals/<int:deal_id>/range"], type="http", auth="user", website=True, methods=["POST"])
    def portal_my_broker_deal_range(self, deal_id, decision=None, comment=None, **post):
        deal = self._broker_get_deal(deal_id)
        deal_sudo = deal.sudo()  # sudo: checked by _broker_get_deal; only the two fields below are written
        comment = (comment or "").strip()[:500]
        error = None
        if not (deal_sudo.range_needs_agreement and deal_sudo.range_agreement in (False, "pending")):
            error = request.env._("This deal has no offered range waiting for the client's answer.")
        elif decision not in ("agreed", "declined"):
            error = request.env._("Choose whether the client agrees or declines.")
        elif decision == "declined" and not comment:
            error = request.env._("Tell us why the client declines.")
        if error:
            values = self._broker_deal_values(deal, range_error=error)
            return request.render("broker_crm.portal_my_deal", values, status=400)
        deal_sudo.write({"range_agreement": decision, "range_agreement_note": comment or False})
        responsible = deal_sudo.executor_id or deal_sudo.user_id or deal_sudo.team_id.user_id
        if responsible:
            deal_sudo.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=request.env._("Client's answer on the range: %s",
                                      dict(deal_sudo._fields["range_agreement"]._description_selection(
                                          request.env))[decision]),
                note=comment,
                user_id=responsible.id,
            )  # fmt: skip
        return request.redirect(f"/my/deals/{deal.id}?message={decision}")

    @http.route(["/my/deals/<int:deal_id>/message"], type="http", auth="user", website=True, methods=["POST"])
    def portal_my_broker_deal_message(self, deal_id, body=None, **post):
        deal = self._broker_get_deal(deal_id)
        body = (body or "").strip()[:5000]
        if body:
            # sudo: portal users cannot post on deals (they only read them); the deal is the partner's
            deal.sudo().message_post(
                body=Markup("<p>%s</p>") % body,
                author_id=request.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return request.redirect(f"/my/deals/{deal.id}#discussion")

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
        if not post.get("consent"):
            errors["consent"] = env._("The client's consent to the processing of personal data is required.")
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
        }
        return values, errors

    def _broker_new_deal_values(self, post=None, errors=None):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "broker_deal_new",
                "products": self._broker_products(),
                "post": post or {},
                "errors": errors or {},
                "accept": ",".join(ALLOWED_UPLOADS),
                "max_upload_mb": MAX_UPLOAD_SIZE // (1024 * 1024),
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
        if errors:
            return request.render(
                "broker_crm.portal_my_deal_new", self._broker_new_deal_values(post, errors), status=400
            )
        deal = self._broker_create_deal(vals, files)
        return request.redirect(f"/my/deals/{deal.id}?message=created")

    def _broker_create_deal(self, vals, files):
        env = request.env
        user = env.user
        # sudo: the team's leader and company are read to route the new deal; portal users cannot read teams
        team = env.ref("broker_crm.crm_team_broker").sudo()
        # sudo: portal users cannot create deals; the values were validated and whitelisted above, and
        # the referral partner is forced to the submitting user's own partner
        Lead = env["crm.lead"].sudo()
        stage = env["crm.stage"].sudo().search([("broker_step", "=", "new"), ("team_id", "=", team.id)], limit=1)
        description = vals.pop("description")
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
        deal.message_subscribe(partner_ids=user.partner_id.ids, subtype_ids=env.ref("mail.mt_comment").ids)
        if files:
            env["ir.attachment"].sudo().create(
                [
                    {"name": name, "raw": raw, "mimetype": mimetype, "res_model": "crm.lead", "res_id": deal.id}
                    for name, raw, mimetype in files
                ]
            )
        deal.message_post(
            body=env._(
                "Submitted through the partner portal by %(partner)s; the client consented to the processing "
                "of personal data on %(date)s. Files: %(count)s.",
                partner=user.partner_id.display_name,
                date=fields.Datetime.now().strftime("%Y-%m-%d %H:%M UTC"),
                count=len(files),
            ),
            subtype_xmlid="mail.mt_note",
        )
        responsible = (
            team.user_id
            or env.ref("broker_crm.group_broker_manager").users.filtered(lambda u: not u._is_superuser() and u.active)[
                :1
            ]
        )
        if responsible:
            deal.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=env._("New client from partner %s", user.partner_id.commercial_partner_id.name),
                note=env._("Contact the client within 3-5 minutes and assign an owner."),
                user_id=responsible.id,
            )
        return deal

    # ------------------------------------------------------------------ commissions
    @http.route(["/my/commissions", "/my/commissions/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_broker_commissions(self, page=1, **kw):
        if not self._broker_partner():
            raise NotFound()
        Commission = request.env["broker.commission"]
        domain = self._broker_commissions_domain()
        values = self._prepare_portal_layout_values()
        pager_values = portal_pager(url="/my/commissions", total=Commission.search_count(domain), page=page,
                                    step=self._items_per_page)  # fmt: skip
        commissions = Commission.search(domain, limit=self._items_per_page, offset=pager_values["offset"])
        groups = Commission._read_group(
            expression.AND([domain, [("state", "!=", "cancelled")]]),
            ["create_date:month", "state"],
            ["amount:sum"],
            order="create_date:month desc",
        )
        periods = OrderedDict()
        for month, state, amount in groups:
            period = periods.setdefault(month, {"total": 0.0, "paid": 0.0})
            period["total"] += amount
            if state == "paid":
                period["paid"] += amount
        values.update(
            {
                # sudo: only the partner's commissions (record rule), to show the deal and bill names
                "commissions": commissions.sudo(),
                "periods": periods,
                "currency": request.env.company.currency_id,
                "page_name": "broker_commissions",
                "pager": pager_values,
                "default_url": "/my/commissions",
            }
        )
        return request.render("broker_crm.portal_my_commissions", values)
