from odoo import api, fields, models
from odoo.exceptions import AccessError

RATE_GROUPS = "broker_crm.group_broker_manager,broker_crm.group_broker_accountant"


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_broker_partner = fields.Boolean(
        string="Referral Partner", tracking=True, help="Brings clients and earns a commission on issued credits."
    )
    broker_commission_custom = fields.Boolean(string="Own Commission Rate", groups=RATE_GROUPS, tracking=True)
    broker_commission_rate = fields.Float(
        string="Commission, %", digits=(5, 2), groups=RATE_GROUPS, tracking=True,
        help="Used instead of the company's rate when 'Own Commission Rate' is set.",
    )  # fmt: skip
    referred_lead_ids = fields.One2many("crm.lead", "referral_partner_id", string="Referred Deals")
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

    def _broker_commission_rate(self):
        """The commission rate of the partner's company (contacts share their company's rate)."""
        self.ensure_one()
        # sudo: the rate is restricted to managers and accountants, but commissions created
        # from an agent's action must still use it.
        entity = self.sudo().commercial_partner_id
        if entity.broker_commission_custom:
            return entity.broker_commission_rate
        return (self.env.company).broker_commission_rate

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

    def unlink(self):
        # Clients and partners are never lost by a click: users other than administrators archive them.
        if self.env.su or self.env.user._is_admin():
            return super().unlink()
        self.action_archive()
        return True
