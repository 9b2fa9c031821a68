def post_init_hook(env):
    """Keep Odoo's generic stages for the generic sales team only.

    The broker pipeline has its own stages; without this the generic "New / Qualified /
    Proposition / Won" columns would show in every team's pipeline next to them.
    """
    sales_team = env.ref("sales_team.team_sales_department", raise_if_not_found=False)
    generic = env["crm.stage"].search([("team_id", "=", False), ("broker_step", "=", False)])
    if sales_team and generic:
        generic.write({"team_id": sales_team.id})


def uninstall_hook(env):
    """Give back Odoo's own rule "salespeople see own and unassigned leads"."""
    rule = env.ref("crm.crm_rule_personal_lead", raise_if_not_found=False)
    if rule:
        rule.active = True
