import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tools import email_normalize

from ..tools.requisites import is_valid_inn, is_valid_ogrn, is_valid_phone
from .broker_bank_application import OPEN_STATES
from .broker_consent import CREDIT_HISTORY_MONTHS
from .crm_stage import BROKER_STEPS, STEP_INDEX

# Documents are analysed "from a few hours to two working days".
ANALYSIS_WORKING_DAYS = 2

# Personal data of the client (152-FZ): broker staff only, never portal users, and the chatter
# tracking of these fields is shown to the same groups only.
PERSONAL_DATA_GROUPS = "broker_crm.group_broker_agent,broker_crm.group_broker_accountant"
# Fields that decide what the client is invoiced and what a partner is paid: only managers and
# accountants change them (their own actions write them as superuser after checking the role).
# Addons add their own (the invoice and the signed act) through CrmLead._broker_money_fields().
MONEY_FIELDS = (
    "amount_issued",
    "fee_percent",
    "fee_fixed",
    "referral_partner_id",
)
# Once a partner's commission exists, the figures it was computed from no longer change.
COMMISSION_FROZEN_FIELDS = ("amount_issued", "fee_percent", "fee_fixed", "referral_partner_id", "credit_product_id")
MONEY_GROUPS = ("broker_crm.group_broker_manager", "broker_crm.group_broker_accountant")
# Signed scans kept on the deal when replaced; addons add theirs through CrmLead._broker_scan_fields().
SCAN_FIELDS = ("contract_signed_scan",)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    broker_step = fields.Selection(related="stage_id.broker_step", store=True, string="Broker Step")

    # ---------------------------------------------------------------- who works it
    executor_id = fields.Many2one(
        "res.users",
        compute="_compute_executor_id",
        store=True,
        readonly=False,
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
        help="Who works on the deal right now, e.g. the owner's manager for the contract signature. "
        "The owner (salesperson) stays responsible for the client.",
    )

    # ---------------------------------------------------------------- the credit
    credit_product_id = fields.Many2one("broker.credit.product", tracking=True)
    amount_requested = fields.Monetary(string="Requested Amount", currency_field="company_currency", tracking=True)
    amount_from = fields.Monetary(
        currency_field="company_currency",
        tracking=True,
        help="The guaranteed minimum of the offered range.",
    )
    amount_to = fields.Monetary(
        currency_field="company_currency",
        tracking=True,
        help="The hard maximum of the offered range: no credit is arranged above it.",
    )
    range_needs_agreement = fields.Boolean(
        compute="_compute_range_needs_agreement",
        store=True,
        help="The guaranteed minimum is below the requested amount: the client must agree to the range.",
    )
    range_agreement = fields.Selection(
        [("pending", "Waiting for the client"), ("agreed", "Agreed"), ("declined", "Declined")],
        string="Client's Agreement",
        tracking=True,
        copy=False,
    )
    range_agreement_note = fields.Char(string="Agreement Comment", tracking=True, copy=False)
    bank_application_ids = fields.One2many("broker.bank.application", "lead_id", string="Bank Applications")
    bank_submitted = fields.Boolean(
        string="Submitted to a Bank", compute="_compute_bank_submitted", store=True, copy=False
    )
    bank_approved = fields.Boolean(
        string="Approved by a Bank", compute="_compute_bank_approved", store=True, copy=False
    )
    open_bank_application_count = fields.Integer(compute="_compute_open_bank_application_count")
    amount_approved = fields.Monetary(
        string="Approved Amount", currency_field="company_currency", tracking=True, copy=False
    )
    date_approved = fields.Date(string="Approved On", tracking=True, copy=False)
    amount_issued = fields.Monetary(
        string="Issued Amount", currency_field="company_currency", tracking=True, copy=False
    )
    date_issued = fields.Date(string="Issued On", tracking=True, copy=False)
    loan_term_months = fields.Integer(
        string="Loan Term (months)",
        tracking=True,
        copy=False,
        help="Term of the issued loan contract: the client's credit history consent stays valid until it ends "
        "(218-FZ art. 6).",
    )

    # ---------------------------------------------------------------- pre-analysis
    criterion_ids = fields.One2many("broker.lead.criterion", "lead_id", string="Criteria")
    stop_factor_ids = fields.One2many("broker.lead.stop.factor", "lead_id", string="Stop-Factors")
    unresolved_stop_factor_count = fields.Integer(compute="_compute_unresolved_stop_factor_count")
    document_ids = fields.One2many("broker.lead.document", "lead_id", string="Documents")
    missing_document_count = fields.Integer(
        string="Missing Documents", compute="_compute_missing_document_count", store=True
    )
    expired_document_count = fields.Integer(string="Expired Documents", compute="_compute_document_validity")
    expiring_document_count = fields.Integer(string="Documents Expiring Soon", compute="_compute_document_validity")
    pd_consent_valid = fields.Boolean(
        string="Personal Data Consent",
        compute="_compute_pd_consent_valid",
        search="_search_pd_consent_valid",
        help="The client has a valid consent to the processing of personal data (152-FZ art. 9): needed before "
        "the client's documents are collected and analysed.",
    )

    # ---------------------------------------------------------------- analysis SLA
    date_docs_submitted = fields.Datetime(string="Documents Submitted", tracking=True, copy=False)
    date_range_given = fields.Datetime(string="Range Given", tracking=True, copy=False)
    analysis_deadline = fields.Datetime(compute="_compute_analysis_deadline", store=True, copy=False)
    analysis_overdue = fields.Boolean(compute="_compute_analysis_overdue", search="_search_analysis_overdue")
    analysis_hours = fields.Float(
        string="Analysis Time (h)",
        compute="_compute_analysis_hours",
        store=True,
        aggregator="avg",
        copy=False,
    )

    # ---------------------------------------------------------------- requisites
    client_type = fields.Selection(
        [("company", "Company or sole trader"), ("individual", "Individual")],
        default="company",
        tracking=True,
    )
    client_inn = fields.Char(string="INN", tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    client_ogrn = fields.Char(string="OGRN / OGRNIP", tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    passport_series = fields.Char(tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    passport_number = fields.Char(tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    passport_issued_by = fields.Char(tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    passport_issue_date = fields.Date(tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    passport_division_code = fields.Char(string="Division Code", tracking=True, copy=False, groups=PERSONAL_DATA_GROUPS)
    client_has_edo = fields.Boolean(
        string="Client Uses EDO", tracking=True, help="The client exchanges documents by electronic document flow."
    )

    # ---------------------------------------------------------------- contract and fee
    fee_percent = fields.Float(
        string="Fee, %",
        digits=(5, 2),
        compute="_compute_fee_terms",
        store=True,
        readonly=False,
        tracking=True,
        help="Broker fee as a percentage of the issued credit.",
    )
    fee_fixed = fields.Monetary(
        string="Fixed Fee",
        currency_field="company_currency",
        compute="_compute_fee_terms",
        store=True,
        readonly=False,
        tracking=True,
    )
    contract_number = fields.Char(tracking=True, copy=False)
    contract_date = fields.Date(tracking=True, copy=False)
    contract_sign_method = fields.Selection(
        [("edo", "EDO"), ("email_scan", "Scan by e-mail"), ("paper", "Paper")],
        string="Signed Via",
        tracking=True,
        copy=False,
    )
    contract_state = fields.Selection(
        [("draft", "Not started"), ("sent", "Sent"), ("signed", "Signed")],
        string="Contract",
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    date_contract_signed = fields.Date(
        string="Contract Signed On", tracking=True, copy=False, help="Filled when the contract is marked signed."
    )
    contract_data_complete = fields.Boolean(
        compute="_compute_contract_data_complete",
        store=True,
        help="Client name, e-mail, INN (company) or passport (individual) and the contract number are filled in.",
    )
    contract_signed_scan = fields.Binary(string="Signed Contract", attachment=True, copy=False)
    contract_signed_scan_name = fields.Char(copy=False)

    # ---------------------------------------------------------------- referral partner
    referral_partner_id = fields.Many2one(
        "res.partner",
        tracking=True,
        index=True,
        domain="[('is_broker_partner', '=', True)]",
        help="The partner who brought the client and earns the commission.",
    )
    # On broker deals Odoo's forecast is the broker's own money: the fee on the requested amount.
    expected_revenue = fields.Monetary(compute="_compute_expected_revenue", store=True, readonly=False, default=None)
    broker_money_editable = fields.Boolean(
        compute="_compute_broker_money_editable",
        help="The user may change the fee terms, the issued amount and the referral partner.",
    )
    merged_into_id = fields.Many2one(
        "crm.lead",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="This deal was merged into that one and archived; its files and checklists stay here.",
    )

    # ================================================================ computes
    @api.depends("user_id")
    def _compute_executor_id(self):
        for lead in self:
            if not lead.executor_id:
                lead.executor_id = lead.user_id

    @api.depends("amount_from", "amount_requested")
    def _compute_range_needs_agreement(self):
        for lead in self:
            lead.range_needs_agreement = bool(
                lead.amount_from and lead.amount_requested and lead.amount_from < lead.amount_requested
            )

    @api.depends("bank_application_ids.state")
    def _compute_bank_submitted(self):
        for lead in self:
            lead.bank_submitted = any(app.state != "draft" for app in lead.bank_application_ids)

    @api.depends("bank_application_ids.state")
    def _compute_bank_approved(self):
        for lead in self:
            lead.bank_approved = any(app.state == "approved" for app in lead.bank_application_ids)

    @api.depends("bank_application_ids.state")
    def _compute_open_bank_application_count(self):
        for lead in self:
            lead.open_bank_application_count = len(lead.bank_application_ids.filtered(lambda a: a.state in OPEN_STATES))

    @api.depends("document_ids.date_valid_until", "document_ids.state")
    def _compute_document_validity(self):
        for lead in self:
            states = lead.document_ids.mapped("validity_state")
            lead.expired_document_count = states.count("expired")
            lead.expiring_document_count = states.count("expiring")

    @api.depends("partner_id")
    def _compute_pd_consent_valid(self):
        valid = self.partner_id._broker_consent_valid("personal_data")
        for lead in self:
            lead.pd_consent_valid = bool(lead.partner_id and lead.partner_id in valid)

    def _search_pd_consent_valid(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on personal data consents."))
        domain = self.env["res.partner"]._broker_consent_valid_domain("personal_data")
        # sudo: only who holds a valid consent is read, to select deals
        partners = self.env["broker.consent"].sudo().search(domain).partner_id
        positive = (operator == "=") == value
        return [("partner_id", "in" if positive else "not in", partners.ids)]

    @api.depends(
        "partner_name", "contact_name", "partner_id", "email_from", "client_type", "client_inn",
        "passport_series", "passport_number", "contract_number",
    )  # fmt: skip
    def _compute_contract_data_complete(self):
        for lead in self:
            lead.contract_data_complete = not lead._contract_data_missing()

    @api.depends("stop_factor_ids.resolved")
    def _compute_unresolved_stop_factor_count(self):
        for lead in self:
            lead.unresolved_stop_factor_count = len(lead.stop_factor_ids.filtered(lambda f: not f.resolved))

    @api.depends("document_ids.state")
    def _compute_missing_document_count(self):
        for lead in self:
            lead.missing_document_count = len(lead.document_ids.filtered(lambda d: d.state == "missing"))

    @api.depends("date_docs_submitted", "company_id")
    def _compute_analysis_deadline(self):
        for lead in self:
            calendar = (lead.company_id or self.env.company).resource_calendar_id
            if not lead.date_docs_submitted:
                lead.analysis_deadline = False
            elif calendar:
                # plan_days counts the start day as the first working day
                lead.analysis_deadline = calendar.plan_days(
                    ANALYSIS_WORKING_DAYS + 1, lead.date_docs_submitted, compute_leaves=True
                )
            else:
                lead.analysis_deadline = lead.date_docs_submitted + timedelta(days=ANALYSIS_WORKING_DAYS)

    def _compute_analysis_overdue(self):
        now = fields.Datetime.now()
        for lead in self:
            lead.analysis_overdue = bool(
                lead.analysis_deadline and not lead.date_range_given and lead.analysis_deadline < now
            )

    def _search_analysis_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue analyses."))
        overdue = [
            ("analysis_deadline", "<", fields.Datetime.now()),
            ("date_range_given", "=", False),
        ]
        return overdue if (operator == "=") == value else ["!", "&", *overdue]

    @api.depends("date_docs_submitted", "date_range_given")
    def _compute_analysis_hours(self):
        for lead in self:
            if lead.date_docs_submitted and lead.date_range_given:
                lead.analysis_hours = (lead.date_range_given - lead.date_docs_submitted).total_seconds() / 3600
            else:
                lead.analysis_hours = 0.0

    @api.depends("credit_product_id")
    def _compute_fee_terms(self):
        for lead in self:
            if lead.credit_product_id and lead.contract_state == "draft":
                lead.fee_percent = lead.credit_product_id.fee_percent
                lead.fee_fixed = lead.credit_product_id.fee_fixed

    @api.depends("broker_step", "amount_requested", "fee_percent", "fee_fixed")
    def _compute_expected_revenue(self):
        for lead in self.filtered("broker_step"):
            lead.expected_revenue = lead.company_currency.round(
                lead.amount_requested * lead.fee_percent / 100 + lead.fee_fixed
            )

    @api.depends_context("uid")
    def _compute_broker_money_editable(self):
        editable = self._broker_user_handles_money()
        for lead in self:
            lead.broker_money_editable = editable and not lead._broker_has_commission()

    def _broker_user_handles_money(self):
        return self.env.su or any(self.env.user.has_group(group) for group in MONEY_GROUPS)

    def _broker_has_commission(self):
        """Whether a partner's commission is computed from these deals (the money addon says so)."""
        return False

    # ================================================================ constraints
    @api.constrains("amount_requested", "amount_from", "amount_to", "amount_approved", "amount_issued")
    def _check_broker_amounts(self):
        labels = {
            "amount_requested": self.env._("requested amount"),
            "amount_from": self.env._('amount "from"'),
            "amount_to": self.env._('amount "to"'),
            "amount_approved": self.env._("approved amount"),
            "amount_issued": self.env._("issued amount"),
        }
        for lead in self:
            for fname, label in labels.items():
                if lead[fname] < 0:
                    raise ValidationError(self.env._("The %(amount)s cannot be negative (deal %(deal)s).", amount=label,
                                            deal=lead.display_name))  # fmt: skip
            if bool(lead.amount_from) != bool(lead.amount_to):
                raise ValidationError(
                    self.env._("The offered range needs both amounts, \"from\" and \"to\", above zero (deal %s).",
                      lead.display_name)
                )  # fmt: skip
            if lead.amount_from and lead.amount_from > lead.amount_to:
                raise ValidationError(
                    self.env._(
                        'The amount "from" (the guaranteed minimum, %(from)s) cannot exceed the amount "to" '
                        "(the maximum, %(to)s) on deal %(deal)s.",
                        deal=lead.display_name,
                        **{"from": lead.amount_from, "to": lead.amount_to},
                    )
                )

    @api.constrains("fee_percent", "fee_fixed")
    def _check_fee_terms(self):
        for lead in self:
            if not 0 <= lead.fee_percent <= 100 or lead.fee_fixed < 0:
                raise ValidationError(self.env._("The broker fee must be between 0 and 100% and not negative."))

    @api.constrains("client_inn", "client_ogrn", "passport_series", "passport_number", "passport_division_code")
    def _check_requisites(self):
        for lead in self:
            if lead.client_inn and not is_valid_inn(lead.client_inn):
                raise ValidationError(
                    self.env._(
                        "INN %s is not valid: it must have 10 or 12 digits and a correct check digit.", lead.client_inn
                    )
                )
            if lead.client_ogrn and not is_valid_ogrn(lead.client_ogrn):
                raise ValidationError(
                    self.env._(
                        "OGRN %s is not valid: it must have 13 digits (15 for a sole trader) and a correct "
                        "check digit.",
                        lead.client_ogrn,
                    )
                )
            checks = (
                ("passport_series", r"^\d{4}$", self.env._("The passport series must be 4 digits.")),
                ("passport_number", r"^\d{6}$", self.env._("The passport number must be 6 digits.")),
                ("passport_division_code", r"^\d{3}-\d{3}$", self.env._("The division code must look like 770-001.")),
            )
            for fname, pattern, message in checks:
                value = lead[fname]
                if value and not re.match(pattern, value):
                    raise ValidationError(message)

    @api.constrains("email_from", "phone")
    def _check_contacts(self):
        for lead in self:
            if lead.email_from and not email_normalize(lead.email_from):
                raise ValidationError(self.env._("The e-mail address %s is not valid.", lead.email_from))
            if lead.phone and not is_valid_phone(lead.phone):
                raise ValidationError(
                    self.env._(
                        "The phone number %s is not valid: use 10 to 15 digits, e.g. +7 900 123-45-67.", lead.phone
                    )
                )

    # ================================================================ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if not self._broker_user_handles_money():
            for vals in vals_list:
                self._broker_check_money_create(vals)
        leads = super().create(vals_list)
        if not self.env.su:
            # a deal created straight into a later step meets that step's conditions like a moved one
            for stage in leads.stage_id.filtered("broker_step"):
                created = leads.filtered(lambda lead, stage=stage: lead.stage_id == stage)
                if STEP_INDEX[stage.broker_step] > STEP_INDEX["pre_analysis"]:
                    created._check_stop_factors(stage)
                created._check_stage_gates(stage, steps_before=dict.fromkeys(created.ids, False), created=True)
        leads.filtered("credit_product_id")._sync_product_checklists()
        # the owner is notified by Odoo itself; a different executor gets the hand-over task
        leads.filtered(lambda lead: lead.executor_id and lead.executor_id != lead.user_id)._notify_executor()
        return leads

    def write(self, vals):
        self._broker_check_money_write(vals)
        stage = self.env["crm.stage"].browse(vals.get("stage_id"))
        if stage and STEP_INDEX.get(stage.broker_step, -1) > STEP_INDEX["pre_analysis"]:
            self._check_stop_factors(stage)
        # the conditions are checked on the values after this write (a form may fill them as it moves on),
        # against the step each deal comes from
        steps_before = {lead.id: lead.broker_step for lead in self} if stage else {}
        self._broker_keep_replaced_scans(vals)
        if vals.get("contract_state") == "signed" and "date_contract_signed" not in vals:
            vals = dict(vals, date_contract_signed=fields.Date.context_today(self))
        executors_before = {lead.id: lead.executor_id for lead in self} if "executor_id" in vals else {}
        res = super().write(vals)
        if stage:
            self._check_stage_gates(stage, steps_before=steps_before)
        if "credit_product_id" in vals:
            self.filtered("credit_product_id")._sync_product_checklists()
        if {"date_issued", "loan_term_months", "partner_id"} & set(vals):
            self._broker_extend_consents()
        if executors_before:
            self.filtered(
                lambda lead: lead.executor_id and lead.executor_id != executors_before[lead.id]
            )._notify_executor()
        return res

    def unlink(self):
        # "Nothing is deleted by accident": only administrators really delete deals; anybody
        # else archives them, and a manager can restore them later (however old they are).
        if self.env.su or self.env.user._is_admin():
            return super().unlink()
        self.action_archive()
        return True

    def _broker_extend_consents(self):
        """A loan contract concluded within a credit history consent's 6 months keeps it valid until
        the contract ends (218-FZ art. 6)."""
        issued = self.filtered(lambda lead: lead.partner_id and lead.date_issued and lead.loan_term_months)
        if not issued:
            return
        # sudo: the validity of the client's consent follows the loan recorded on the deal
        consents = (
            self.env["broker.consent"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", issued.partner_id.ids),
                    ("kind", "=", "credit_history"),
                    ("withdrawn_on", "=", False),
                ]
            )
        )
        for lead in issued:
            end = lead.date_issued + relativedelta(months=lead.loan_term_months)
            for consent in consents.filtered(lambda c, lead=lead: c.partner_id == lead.partner_id):
                within = (
                    consent.date_given
                    <= lead.date_issued
                    <= consent.date_given + relativedelta(months=CREDIT_HISTORY_MONTHS)
                )
                if within and (not consent.loan_end_date or consent.loan_end_date < end):
                    consent.loan_end_date = end

    # ================================================================ views and notifications
    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            # a credit deal is not sold with a quotation, and its client's data is not sent out to
            # be "enriched" (152-FZ): hide these buttons, when their apps are installed, on deals of
            # the broker pipeline
            for node in arch.xpath(
                "//button[@name='action_sale_quotations_new' or @name='action_view_sale_quotation' "
                "or @name='action_view_sale_order' or @name='action_new_quotation' or @name='iap_enrich']"
            ):
                condition = node.get("invisible")
                node.set("invisible", f"({condition}) or broker_step" if condition else "broker_step")
        return arch, view

    def _notify_get_recipients_groups(self, message, model_description, msg_vals=None):
        groups = super()._notify_get_recipients_groups(message, model_description, msg_vals=msg_vals)
        if len(self) != 1 or not self.referral_partner_id:
            return groups
        # The referral partner's portal users follow the deal for the partner messages only and
        # read it on the portal: their e-mails link to the portal page, never to the backend.
        for name, _match, data in groups:
            if name == "portal":
                data.update(
                    active=True,
                    has_button_access=True,
                    button_access={
                        "url": f"{self.get_base_url()}{self._broker_portal_url()}",
                        "title": self.env._("Open the deal"),
                    },
                )
        return groups

    def _broker_portal_url(self):
        self.ensure_one()
        return f"/my/deals/{self.id}"

    # ================================================================ money and files guards
    @api.model
    def _broker_money_fields(self):
        """The fields only managers and accountants change; addons extend the tuple."""
        return MONEY_FIELDS

    @api.model
    def _broker_scan_fields(self):
        """Signed scans that stay on the deal as attachments when replaced; addons extend the tuple."""
        return SCAN_FIELDS

    @api.model
    def _broker_money_defaults(self, vals):
        """The fee terms the credit product gives: what a form sends back unchanged for agents too."""
        product = self.env["broker.credit.product"].browse(vals.get("credit_product_id"))
        return {"fee_percent": product.fee_percent, "fee_fixed": product.fee_fixed}

    @api.model
    def _broker_check_money_create(self, vals):
        defaults = self._broker_money_defaults(vals)
        changed = [
            fname
            for fname in self._broker_money_fields()
            if vals.get(fname) and (fname not in defaults or vals[fname] != defaults[fname])
        ]
        if changed:
            raise AccessError(self._broker_money_message(changed))

    def _broker_check_money_write(self, vals):
        money_fields = self._broker_money_fields()
        fnames = [f for f in dict.fromkeys(money_fields + COMMISSION_FROZEN_FIELDS) if f in vals]
        if not fnames or not self:
            return
        changed = set()
        leads = self.sudo()  # sudo: compares values only, binary scans included
        for fname in fnames:
            field = self._fields[fname]
            if field.type == "binary":
                new = vals[fname] or False
                if any((lead[fname] or False) != new for lead in leads):
                    changed.add(fname)
                continue
            # the new value is the same for every deal: converted once
            new = field.convert_to_cache(vals[fname], leads[:1], validate=False) or False
            if any((field.convert_to_cache(lead[fname], lead, validate=False) or False) != new for lead in leads):
                changed.add(fname)
        if changed & set(COMMISSION_FROZEN_FIELDS) and self._broker_has_commission():
            raise UserError(
                self.env._(
                    "The partner's commission is already computed from this deal: its fee terms, issued amount, "
                    "credit product and referral partner can no longer change. Cancel the commission first."
                )
            )
        money = changed & set(money_fields)
        if money and not self._broker_user_handles_money():
            # an agent may change the credit product: the fee terms it brings are the product's own
            product = self.env["broker.credit.product"].browse(vals.get("credit_product_id"))
            if product:
                money -= {f for f in ("fee_percent", "fee_fixed") if vals.get(f) == product[f]}
            if money:
                raise AccessError(self._broker_money_message(sorted(money)))

    def _broker_check_money_role(self):
        if not self._broker_user_handles_money():
            raise AccessError(
                self.env._("Only a broker manager or an accountant invoices deals and records signed acts.")
            )

    def _broker_money_message(self, fnames):
        labels = ", ".join(self._fields[f]._description_string(self.env) for f in fnames)
        return self.env._(
            "Only a broker manager or an accountant can change these fields of a deal: %(fields)s.", fields=labels
        )

    def _broker_keep_replaced_scans(self, vals):
        """A signed scan that is replaced or cleared stays on the deal as an ordinary attachment."""
        fnames = [f for f in self._broker_scan_fields() if f in vals]
        if not fnames:
            return
        # sudo: field attachments are only reachable with a res_field search; the copies stay on the
        # same deal, where the user's access to the deal governs them
        old = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids), ("res_field", "in", fnames)])
        )
        today = fields.Date.context_today(self)
        for attachment in old:
            label = self._fields[attachment.res_field]._description_string(self.env)
            attachment.copy(
                {
                    "res_field": False,
                    "name": self.env._(
                        "%(label)s, replaced on %(date)s - %(name)s", label=label, date=today, name=attachment.name
                    ),
                }
            )

    # ================================================================ merge: archive, never delete
    def _merge_opportunity(self, user_id=False, team_id=False, auto_unlink=True, max_length=5):
        head = super()._merge_opportunity(user_id=user_id, team_id=team_id, auto_unlink=False, max_length=max_length)
        if auto_unlink:
            tail = self - head
            # sudo: Odoo deletes the merged deals as superuser; archiving them is the lossless
            # counterpart (the user could read them to merge them)
            tail.sudo().write({"merged_into_id": head.id, "active": False})
        return head

    def _merge_dependences_attachments(self, opportunities):
        # Files stay with the deal they were received for (the archived deal keeps its checklist
        # lines pointing at them); the survivor links to it through merged_into_id.
        return True

    # ================================================================ business logic
    def _check_stop_factors(self, stage):
        blocked = self.filtered(lambda lead: lead.unresolved_stop_factor_count)
        if blocked:
            lead = blocked[0]
            names = ", ".join(lead.stop_factor_ids.filtered(lambda f: not f.resolved).stop_factor_id.mapped("name"))
            raise UserError(
                self.env._(
                    'Deal %(deal)s cannot move to "%(stage)s": unresolved stop-factor(s) found in the '
                    "pre-analysis: %(factors)s. Resolve them or mark the deal as lost.",
                    deal=lead.display_name,
                    stage=stage.name,
                    factors=names,
                )
            )

    def _stage_gates_unmet(self, stage, steps_before=None):
        """{deal: unmet gates} for moving these deals forward to ``stage``.

        A deal moving forward meets the entry conditions of every step it reaches or skips (of its team's
        stages and the shared ones); moving back, or staying, checks nothing.

        :param steps_before: {deal id: broker step it comes from} (False for a new deal); by default the
            deals' current steps
        """
        target = STEP_INDEX.get(stage.broker_step, -1)

        def current(lead):
            step = steps_before[lead.id] if steps_before is not None else lead.broker_step
            return STEP_INDEX.get(step, -1)

        moving = self.filtered(lambda lead: current(lead) < target)
        if not moving:
            return {}
        gated = self.env["crm.stage"].search([("broker_gate_ids", "!=", False)]) | stage
        steps = {}
        for lead in moving:
            passed = {key for key, _label in BROKER_STEPS[current(lead) + 1 : target + 1]}
            reached = gated.filtered(
                lambda st, lead=lead, passed=passed: (
                    st.broker_step in passed and (not st.team_id or st.team_id == lead.team_id)
                )
            )
            steps[lead] = (stage | reached).broker_gate_ids
        gates = self.env["broker.stage.gate"].union(*steps.values())
        unmet = gates._unmet(moving)
        result = {}
        for lead, lead_gates in steps.items():
            missing = unmet[lead.id] & lead_gates
            if missing:
                # in the order of the process, as the user will meet them
                result[lead] = missing.sorted(lambda g: (STEP_INDEX.get(g.stage_id.broker_step, 99), g.sequence, g.id))
        return result

    def _check_stage_gates(self, stage, steps_before=None, created=False):
        if self.env.su:
            return  # data files, demo and system jobs place deals where they belong
        unmet = self._stage_gates_unmet(stage, steps_before=steps_before)
        if not unmet:
            return
        reason = self.env.context.get("broker_gate_override")
        if reason:
            if not self.env.user.has_group("broker_crm.group_broker_manager"):
                raise AccessError(self.env._("Only a broker manager can override the conditions of a stage."))
            for lead, gates in unmet.items():
                lead.message_post(
                    body=self.env._(
                        '%(user)s moved the deal to "%(stage)s" without: %(missing)s. Reason: %(reason)s',
                        user=self.env.user.name,
                        stage=stage.name,
                        missing="; ".join(dict.fromkeys(gates.mapped("name"))),
                        reason=reason,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            return
        lead, gates = next(iter(unmet.items()))
        message = self.env._(
            'Deal %(deal)s cannot move to "%(stage)s" yet. Still missing:\n%(missing)s',
            deal=lead.display_name,
            stage=stage.name,
            missing="\n".join(f"- {name}" for name in dict.fromkeys(gates.mapped("name"))),
        )
        if not created and self.env.user.has_group("broker_crm.group_broker_manager"):
            action = self.env.ref("broker_crm.action_broker_stage_gate_override")
            raise RedirectWarning(
                message,
                action.id,
                self.env._("Move anyway, with a reason"),
                {"default_lead_ids": [fields.Command.set([unmet_lead.id for unmet_lead in unmet])],
                 "default_stage_id": stage.id},
            )  # fmt: skip
        raise UserError(message)

    def _sync_product_checklists(self):
        """Add the product's criteria and required documents that the deal does not list yet."""
        criterion_vals, document_vals = [], []
        for lead in self:
            product = lead.credit_product_id
            known_criteria = set(lead.criterion_ids.criterion_id.ids)
            criterion_vals += [
                {"lead_id": lead.id, "criterion_id": criterion.id}
                for criterion in product.criterion_ids
                if criterion.id not in known_criteria
            ]
            known_documents = set(lead.document_ids.document_type_id.ids)
            document_vals += [
                {"lead_id": lead.id, "document_type_id": doc_type.id}
                for doc_type in product.document_type_ids
                if doc_type.id not in known_documents
            ]
        self.env["broker.lead.criterion"].create(criterion_vals)
        self.env["broker.lead.document"].create(document_vals)

    def _notify_executor(self):
        """Hand the deal over: the executor gets a to-do (and so an e-mail with a link to the deal)."""
        activity_type = self.env.ref("broker_crm.mail_activity_type_handover", raise_if_not_found=False)
        for lead in self:
            if lead.executor_id == self.env.user:
                continue
            lead.activity_schedule(
                activity_type_id=activity_type.id if activity_type else False,
                summary=self.env._("You are now the executor of this deal"),
                note=self.env._("%(user)s handed the deal over to you.", user=self.env.user.name),
                user_id=lead.executor_id.id,
            )

    def action_set_range_given(self):
        self.write({"date_range_given": fields.Datetime.now()})

    def action_submit_documents(self):
        self.write({"date_docs_submitted": fields.Datetime.now(), "date_range_given": False})

    def action_mark_contract_sent_edo(self):
        for lead in self:
            if not lead.client_has_edo:
                raise UserError(self.env._("The client of deal %s does not use EDO.", lead.display_name))
        self.write({"contract_state": "sent", "contract_sign_method": "edo"})

    def action_mark_contract_signed(self):
        for lead in self:
            if not lead.contract_signed_scan and lead.contract_sign_method != "edo":
                raise UserError(self.env._("Attach the signed contract scan to deal %s first.", lead.display_name))
        self.write({"contract_state": "signed"})

    def action_send_contract(self):
        """Open the mail composer with the contract PDF attached."""
        self.ensure_one()
        self._check_contract_requisites()
        template = self.env.ref("broker_crm.mail_template_contract")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "crm.lead",
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "mark_contract_sent": True,
            },
        }

    def _contract_data_missing(self):
        """What the contract of this deal still lacks, as labels."""
        self.ensure_one()
        lead = self.sudo()  # sudo: personal fields are only checked for presence
        missing = []
        if not (lead.partner_name or lead.contact_name or lead.partner_id):
            missing.append(self.env._("client name"))
        if not lead.email_from:
            missing.append(self.env._("e-mail"))
        if lead.client_type == "company" and not lead.client_inn:
            missing.append(self.env._("INN"))
        if lead.client_type == "individual" and not (lead.passport_series and lead.passport_number):
            missing.append(self.env._("passport"))
        if not lead.contract_number:
            missing.append(self.env._("contract number"))
        return missing

    def _check_contract_requisites(self):
        for lead in self:
            missing = lead._contract_data_missing()
            if missing:
                raise UserError(
                    self.env._("Fill in before preparing the contract of %(deal)s: %(missing)s.",
                      deal=lead.display_name, missing=", ".join(missing))
                )  # fmt: skip

    def _message_post_after_hook(self, message, msg_vals):
        # the composer opened by "Send contract" marks the contract as sent
        if self.env.context.get("mark_contract_sent") and self.contract_state == "draft":
            self.write({"contract_state": "sent", "contract_sign_method": self.contract_sign_method or "email_scan"})
        return super()._message_post_after_hook(message, msg_vals)

    def _cron_analysis_overdue(self):
        """Tell the team leader about analyses running past two working days (once per deal)."""
        activity_type = self.env.ref("broker_crm.mail_activity_type_analysis_overdue")
        leads = self.search([("analysis_overdue", "=", True), ("broker_step", "!=", False)])
        already = set(
            self.env["mail.activity"]
            .search([("res_model", "=", "crm.lead"), ("res_id", "in", leads.ids),
                     ("activity_type_id", "=", activity_type.id)])
            .mapped("res_id")
        )  # fmt: skip
        for lead in leads.filtered(lambda lead: lead.id not in already):
            manager = lead.team_id.user_id or lead.user_id
            if not manager:
                continue
            lead.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self.env._("Analysis overdue"),
                note=self.env._(
                    "Documents were submitted on %(date)s and the range is still not given (deadline %(deadline)s).",
                    date=fields.Datetime.to_string(lead.date_docs_submitted),
                    deadline=fields.Datetime.to_string(lead.analysis_deadline),
                ),
                user_id=manager.id,
            )
