"""Partner portal: the referral partner's commissions (/my/commissions).

Partners are portal users with no access rights on commissions or bills: every route and RPC of
the web client refuses them. This page reads with `sudo()`, always restricted by the explicit
domain of the partner's commercial entity (`_broker_commissions_domain`), and hands the template
plain values built from a whitelist of fields (`_broker_commission_values`), never the records.
"""

import base64
import os
from collections import OrderedDict

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.http import request
from odoo.osv import expression

from odoo.addons.broker_crm.controllers.portal import BrokerPortal, _read_uploads, _selection_label
from odoo.addons.broker_crm.models.broker_lead_document import MAX_UPLOAD_SIZE
from odoo.addons.portal.controllers.portal import pager as portal_pager

# the «Мой налог» receipt: its PDF or a screenshot
RECEIPT_UPLOADS = (".pdf", ".jpg", ".jpeg", ".png")


class BrokerCommissionPortal(BrokerPortal):
    # ------------------------------------------------------------------ helpers
    def _broker_commissions_domain(self, partner):
        return [("partner_id", "child_of", partner.id)]

    def _broker_commissions_sudo(self):
        # sudo: partners have no access to commissions; every search here is AND-ed with
        # _broker_commissions_domain and only whitelisted values are rendered
        return request.env["broker.commission"].sudo()

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "broker_commission_count" not in counters:
            return values
        partner = self._broker_partner()
        values["broker_commission_count"] = (
            self._broker_commissions_sudo().search_count(self._broker_commissions_domain(partner)) if partner else 0
        )
        return values

    # ------------------------------------------------------------------ whitelist
    def _broker_commission_values(self, commission):
        """What a partner may know of one of its commissions."""
        return {
            "deal_id": commission.lead_id.id,
            "deal_name": commission.lead_id.name,
            "base_amount": commission.base_amount,
            "rate": commission.rate,
            "amount": commission.amount,
            "currency": commission.currency_id,
            "state": _selection_label(commission, "state"),
            "bill": commission.bill_id.name or "",
            "bill_payment_state": _selection_label(commission, "bill_payment_state") if commission.bill_id else "",
            "id": commission.id,
            "tax_withheld": commission.tax_withheld,
            "amount_net": commission.amount_net,
            "receipt_required": commission.payout_kind == "receipt" and commission.state in ("billed", "paid"),
            "receipt_missing": commission.receipt_missing,
            "receipt_number": commission.receipt_number or "",
            "receipt_date": commission.receipt_date,
        }

    # ------------------------------------------------------------------ commissions
    def _broker_commissions_page(self, partner, page=1, receipt_errors=None, message=None):
        """The values of /my/commissions (whitelisted), with the errors of a receipt upload if any."""
        Commission = self._broker_commissions_sudo()
        domain = self._broker_commissions_domain(partner)
        values = self._prepare_portal_layout_values()
        pager_values = portal_pager(url="/my/commissions", total=Commission.search_count(domain), page=page,
                                    step=self._items_per_page)  # fmt: skip
        commissions = Commission.search(domain, limit=self._items_per_page, offset=pager_values["offset"])
        groups = Commission._read_group(
            expression.AND([domain, [("state", "!=", "cancelled")]]),
            ["create_date:month", "state"],
            ["amount:sum", "tax_withheld:sum", "amount_net:sum"],
            order="create_date:month desc",
        )
        periods = OrderedDict()
        for month, state, amount, withheld, net in groups:
            period = periods.setdefault(month, {"total": 0.0, "withheld": 0.0, "net": 0.0, "paid": 0.0})
            period["total"] += amount
            period["withheld"] += withheld
            period["net"] += net
            if state == "paid":
                period["paid"] += net
        values.update(
            {
                "commissions": [self._broker_commission_values(commission) for commission in commissions],
                "periods": periods,
                "currency": request.env.company.currency_id,
                "page_name": "broker_commissions",
                "pager": pager_values,
                "default_url": "/my/commissions",
                "missing_receipts": [
                    self._broker_commission_values(commission)
                    for commission in Commission.search(
                        expression.AND([domain, [("receipt_missing", "=", True), ("state", "in", ("billed", "paid"))]])
                    )
                ],
                "receipt_errors": receipt_errors or {},
                "message": message,
                "receipt_accept": ",".join(RECEIPT_UPLOADS),
                "max_upload_mb": MAX_UPLOAD_SIZE // (1024 * 1024),
            }
        )
        return values

    @http.route(["/my/commissions", "/my/commissions/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_broker_commissions(self, page=1, message=None, **kw):
        partner = self._broker_partner()
        if not partner:
            raise NotFound()
        values = self._broker_commissions_page(partner, page=page, message=message)
        return request.render("broker_commission.portal_my_commissions", values)

    # ------------------------------------------------------------------ the self-employed partner's receipt
    def _broker_validate_receipt(self, post):
        """The receipt's whitelisted values and the errors: ({field: value}, [errors])."""
        env = request.env
        errors = []
        number = (post.get("receipt_number") or "").strip()[:64]
        if not number:
            errors.append(env._("Enter the receipt's number."))
        try:
            date = fields.Date.to_date((post.get("receipt_date") or "").strip())
        except ValueError:
            date = None
        if not date:
            errors.append(env._("Enter the receipt's date."))
        elif date > fields.Date.context_today(env.user):
            errors.append(env._("The receipt's date cannot be in the future."))
        url = (post.get("receipt_url") or "").strip()[:500]
        if url and not url.startswith("https://"):
            errors.append(env._("The receipt's link must start with https://."))
        vals = {"receipt_number": number, "receipt_date": date, "receipt_url": url or False}
        upload = request.httprequest.files.get("receipt_scan")
        if upload and upload.filename:
            if os.path.splitext(upload.filename)[1].lower() not in RECEIPT_UPLOADS:
                errors.append(env._("Upload the receipt as PDF, JPG or PNG."))
            else:
                files, file_errors = _read_uploads([upload])
                errors += file_errors
                if files:
                    name, raw = files[0]
                    vals.update(receipt_scan=base64.b64encode(raw), receipt_scan_name=name)
        if not url and not vals.get("receipt_scan") and not errors:
            errors.append(env._("Give the receipt's link from «Мой налог» or upload the receipt."))
        return vals, errors

    @http.route(["/my/commissions/<int:commission_id>/receipt"], type="http", auth="user", website=True,
                methods=["POST"])  # fmt: skip
    def portal_my_broker_commission_receipt(self, commission_id, **post):
        partner = self._broker_partner()
        if not partner:
            raise NotFound()
        # the commission is searched among the partner's own only; another partner's looks missing
        commission = self._broker_commissions_sudo().search(
            expression.AND([[("id", "=", commission_id)], self._broker_commissions_domain(partner)]), limit=1
        )
        if not commission or commission.payout_kind != "receipt" or commission.state not in ("billed", "paid"):
            raise NotFound()
        vals, errors = self._broker_validate_receipt(post)
        if errors:
            values = self._broker_commissions_page(partner, receipt_errors={commission.id: errors})
            return request.render("broker_commission.portal_my_commissions", values, status=400)
        # sudo (the commission is): portal users cannot write commissions; only the receipt's whitelisted
        # values, validated above, are written on the partner's own commission
        commission.write(vals)
        commission.message_post(
            body=request.env._(
                "%(partner)s recorded the «Мой налог» receipt No. %(number)s of %(date)s through the portal.",
                partner=request.env.user.partner_id.name,
                number=vals["receipt_number"],
                date=vals["receipt_date"],
            ),
            subtype_xmlid="mail.mt_note",
        )
        return request.redirect("/my/commissions?message=receipt")
