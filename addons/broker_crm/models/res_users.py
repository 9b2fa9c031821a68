from odoo import Command, api, fields, models

BROKER_ROLES = [("agent", "Agent"), ("manager", "Manager"), ("accountant", "Accountant")]

# What each broker role may not hold besides its own group: Odoo's default user template
# (Settings → Users) gives every new user the Sales and Accounting administrator groups, which
# would open every deal and the whole ledger to an agent. The groups that imply these are
# stripped too (a group cannot be removed while a group implying it stays).
ROLE_FORBIDDEN = {
    "agent": (
        "broker_crm.group_broker_accountant",
        "sales_team.group_sale_salesman_all_leads",
        "account.group_account_invoice",
        "account.group_account_readonly",
        "base.group_allow_export",
    ),
    "accountant": (
        "sales_team.group_sale_salesman",
        "base.group_allow_export",
    ),
    "manager": (),
}
# What a user created in Settings → Users must not get from the default user template: CRM and
# Invoicing put their administrator groups on it (the Accounting ones only when Invoicing is installed).
DEFAULT_USER_FORBIDDEN = (
    "base.group_allow_export",
    "sales_team.group_sale_manager",
    "sales_team.group_sale_salesman_all_leads",
    "sales_team.group_sale_salesman",
    "account.group_account_manager",
    "account.group_account_user",
    "account.group_account_basic",
    "account.group_account_invoice",
    "account.group_account_readonly",
)
ROLE_GROUP = {
    "agent": "broker_crm.group_broker_agent",
    "manager": "broker_crm.group_broker_manager",
    "accountant": "broker_crm.group_broker_accountant",
}


class ResUsers(models.Model):
    _inherit = "res.users"

    broker_role = fields.Selection(
        BROKER_ROLES,
        string="Credit Broker Role",
        compute="_compute_broker_role",
        inverse="_inverse_broker_role",
        groups="base.group_erp_manager",
        help="Sets the user's Credit Broker, Sales and Accounting rights together.\n"
        "Agent: own deals only (the teams the user leads too), no accounting, no export.\n"
        "Manager: every deal, Sales administrator, export.\n"
        "Accountant: reads every deal, invoices, acts and partner commissions; no Sales rights, no export.",
    )

    @api.depends("groups_id")
    def _compute_broker_role(self):
        for user in self:
            user.broker_role = user._broker_role_from_groups()

    def _broker_role_from_groups(self):
        self.ensure_one()
        # the manager implies the agent, so the strongest role is looked up first
        for role in ("manager", "agent", "accountant"):
            if self.env.ref(ROLE_GROUP[role]) in self.groups_id:
                return role
        return False

    def _inverse_broker_role(self):
        all_roles = self.env["res.groups"].browse([self.env.ref(xmlid).id for xmlid in ROLE_GROUP.values()])
        # groups implying a role group (the manager implies the agent) go too
        to_remove = self._broker_implying_groups(all_roles)
        for role in {user.broker_role for user in self}:
            users = self.filtered(lambda u, r=role: u.broker_role == r)
            commands = [Command.unlink(group.id) for group in to_remove]
            if role:
                commands.append(Command.link(self.env.ref(ROLE_GROUP[role]).id))
            users.write({"groups_id": commands})

    @api.model
    def _broker_implying_groups(self, groups):
        """The given groups and every group that implies one of them."""
        # walk the stored implication upwards: one search per level instead of loading every group
        # sudo: only the implication between groups is read
        Groups = self.env["res.groups"].sudo()
        result, level = groups.sudo(), groups.sudo()
        while level:
            level = Groups.search([("implied_ids", "in", level.ids), ("id", "not in", result.ids)])
            result |= level
        return result.with_env(groups.env)

    def _broker_enforce_role(self):
        """Strip the groups the user's broker role may not hold, however the groups were set."""
        forbidden_by_role = {}
        for user in self:
            role = user._broker_role_from_groups()
            if not role or not ROLE_FORBIDDEN[role]:
                continue
            if role not in forbidden_by_role:
                refs = [self.env.ref(xmlid, raise_if_not_found=False) for xmlid in ROLE_FORBIDDEN[role]]
                groups = self.env["res.groups"].union(*[g for g in refs if g])
                forbidden = self._broker_implying_groups(groups)
                # administrators keep their rights; a role never strips the Settings groups
                forbidden -= self.env.ref("base.group_system") | self.env.ref("base.group_erp_manager")
                forbidden_by_role[role] = forbidden
            extra = user.groups_id & forbidden_by_role[role]
            if extra and not user._is_system():
                user.write({"groups_id": [Command.unlink(group.id) for group in extra]})

    @api.model
    def _broker_strip_default_user(self):
        """A new user gets no Sales, Accounting or export rights until a broker role is chosen."""
        template = self.env.ref("base.default_user", raise_if_not_found=False)
        groups = [self.env.ref(xmlid, raise_if_not_found=False) for xmlid in DEFAULT_USER_FORBIDDEN]
        held = template and template.groups_id & self.env["res.groups"].union(*[g for g in groups if g])
        if held:
            # sudo: install data; the template user is inactive and only loses groups
            template.sudo().write({"groups_id": [Command.unlink(group.id) for group in held]})

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._broker_enforce_role()
        return users

    def write(self, vals):
        res = super().write(vals)
        if "groups_id" in vals or any(key.startswith(("in_group_", "sel_groups_")) for key in vals):
            self._broker_enforce_role()
        return res
