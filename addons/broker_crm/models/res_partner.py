from odoo import api, fields, models
from odoo.exceptions import AccessError

# Personal fields of a client contact (152-FZ): erased on withdrawal, see _broker_erase_personal_data.
PARTNER_PERSONAL_FIELDS = (
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "zip",
    "city",
    "website",
    "function",
    "comment",
)
# Personal fields of a deal about the client.
LEAD_PERSONAL_FIELDS = (
    "contact_name",
    "email_from",
    "phone",
    "mobile",
    "street",
    "street2",
    "zip",
    "city",
    "description",
    "passport_series",
    "passport_number",
    "passport_issued_by",
    "passport_issue_date",
    "passport_division_code",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_broker_partner = fields.Boolean(
        string="Referral Partner", tracking=True, help="Brings clients and earns a commission on issued credits."
    )
    referred_lead_ids = fields.One2many("crm.lead", "referral_partner_id", string="Referred Deals")
    broker_consent_ids = fields.One2many(
        "broker.consent", "partner_id", string="Consents", groups="broker_crm.group_broker_agent"
    )
    broker_erased_on = fields.Datetime(
        string="Personal Data Erased On", readonly=True, copy=False, groups="broker_crm.group_broker_manager"
    )
    referred_lead_count = fields.Integer(compute="_compute_referred_lead_count")

    @api.depends("referred_lead_ids")
    def _compute_referred_lead_count(self):
        counts = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group([("referral_partner_id", "in", self.ids)], ["referral_partner_id"], ["__count"])
        )
        for partner in self:
            partner.referred_lead_count = counts.get(partner, 0)

    def action_view_referred_leads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_all_leads")
        action.update(
            domain=[("referral_partner_id", "child_of", self.commercial_partner_id.id)],
            context={"default_referral_partner_id": self.id, "active_test": False},
        )
        return action

    # ---------------------------------------------------------------- who may shape a referral partner
    def _broker_is_partner_admin(self):
        return self.env.su or self.env.user.has_group("broker_crm.group_broker_manager")

    def _broker_referral_entities(self):
        # sudo: only the referral-partner flag of the commercial entities is read
        return self.sudo().commercial_partner_id.filtered("is_broker_partner") | self.sudo().filtered(
            "is_broker_partner"
        )

    def _broker_refuse_partner_change(self):
        raise AccessError(
            self.env._(
                "Only a broker manager marks referral partners, adds or moves their contacts and grants them "
                "portal access: portal access shows every deal the partner referred."
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self._broker_is_partner_admin():
            parents = self.browse([vals["parent_id"] for vals in vals_list if vals.get("parent_id")])
            if any(vals.get("is_broker_partner") for vals in vals_list) or parents._broker_referral_entities():
                self._broker_refuse_partner_change()
        return super().create(vals_list)

    def write(self, vals):
        if ("is_broker_partner" in vals or "parent_id" in vals) and not self._broker_is_partner_admin():
            flag_changes = "is_broker_partner" in vals and any(
                p.is_broker_partner != bool(vals["is_broker_partner"]) for p in self.sudo()
            )
            parent_changes = "parent_id" in vals and self.sudo().filtered(
                lambda p: p.parent_id.id != (vals["parent_id"] or False)
            )
            if flag_changes or (
                parent_changes
                and (
                    parent_changes._broker_referral_entities()
                    or self.browse(vals["parent_id"])._broker_referral_entities()
                )
            ):
                self._broker_refuse_partner_change()
        return super().write(vals)

    # ---------------------------------------------------------------- consents (152-FZ, 218-FZ)
    @api.model
    def _broker_consent_valid_domain(self, kind, date_from=None, date_to=None):
        """The consents of ``kind`` valid for the whole period (today by default)."""
        date_from = date_from or fields.Date.context_today(self)
        return [
            ("kind", "=", kind),
            ("withdrawn_on", "=", False),
            ("date_given", "<=", date_from),
            "|",
            ("valid_until", "=", False),
            ("valid_until", ">=", date_to or date_from),
        ]

    def _broker_consent_valid(self, kind, date_from=None, date_to=None):
        """The partners among self holding a valid consent of ``kind`` for the whole period."""
        domain = [("partner_id", "in", self.ids), *self._broker_consent_valid_domain(kind, date_from, date_to)]
        # sudo: only whether a consent exists is read, whoever asks (routing jobs, portal, agents)
        return self.env["broker.consent"].sudo().search(domain).partner_id & self

    def _broker_consent_withdrawn(self, kinds):
        """Stop what the withdrawn consents allowed; addons add their own processing (monitoring)."""
        return True

    def action_broker_erase_personal_data(self):
        """A manager erases a client's personal data before the retention period is over."""
        if not self.env.user.has_group("broker_crm.group_broker_manager"):
            raise AccessError(self.env._("Only a broker manager erases a client's personal data."))
        self._broker_erase_personal_data(reason="manager")
        return True

    def _broker_erase_personal_data(self, reason="withdrawal"):
        """Erase the personal data held about these clients, keeping accounting intact.

        Invoices, acts, commissions and their partner bills keep their amounts and numbers (402-FZ
        art. 29 requires keeping them); the contact is anonymised, the deals lose the client's
        personal fields and the files received from the client. Each addon adds its own data
        (bureau signals, service notes) by extending this method and the returned categories.
        """
        categories = []
        # sudo: erasure reaches every record about the client, whoever triggered it (the daily job
        # or a manager); what is erased is fixed here and logged
        partners = self.sudo()
        leads = self.env["crm.lead"].sudo().with_context(active_test=False).search([("partner_id", "in", partners.ids)])
        if leads:
            files = (
                self.env["ir.attachment"]
                .sudo()
                .search([("res_model", "=", "crm.lead"), ("res_id", "in", leads.ids), ("res_field", "=", False)])
            )
            # the signed contract and act are kept (scan fields), the client's documents go
            files.unlink()
            leads.document_ids.write({"attachment_ids": [fields.Command.clear()]})
            leads.write(dict.fromkeys(LEAD_PERSONAL_FIELDS, False))
            # the INN of an individual is personal data; a company's is not
            leads.filtered(lambda lead: lead.client_type == "individual").client_inn = False
            categories.append(
                self.env._("deals: contact details, passport, INN, notes, %(count)s files", count=len(files))
            )
        persons = partners.filtered(lambda p: not p.is_company)
        for partner in persons:
            partner.write(
                dict.fromkeys(PARTNER_PERSONAL_FIELDS, False)
                | {"name": self.env._("Erased client %(id)s", id=partner.id), "vat": False, "image_1920": False}
            )
        if persons:
            categories.append(self.env._("contact: name, e-mail, phones, address, INN, notes, photo"))
        logs = []
        for partner in partners:
            extra = partner._broker_erase_extra_data()
            logs.append(
                {
                    "partner_id": partner.id,
                    "user_id": self.env.user.id,
                    "reason": reason,
                    "categories": "\n".join(categories + extra) or self.env._("nothing held"),
                }
            )
        partners.write({"broker_erased_on": fields.Datetime.now()})
        self.env["broker.erasure.log"].sudo().create(logs)
        partners.message_post(body=self.env._("Personal data erased."))
        return True

    def _broker_erase_extra_data(self):
        """Erase what other addons hold about this client; returns the erased categories."""
        return []

    def unlink(self):
        # Clients and partners are never lost by a click: users other than administrators archive them.
        if self.env.su or self.env.user._is_admin():
            return super().unlink()
        self.action_archive()
        return True
