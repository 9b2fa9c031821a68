from odoo import api, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    @api.model
    def _action_update_to_pipeline(self, action):
        """Broker staff land on the broker pipeline, with its stages and its deals only.

        Odoo opens the pipeline of the user's sales team, or of the first team for users without
        one; a broker agent or manager outside any team gets the broker team instead, and the
        broker pipeline is filtered on its team so that other teams' leads stay out of its columns.
        """
        action = super()._action_update_to_pipeline(action)
        broker_team = self.env.ref("broker_crm.crm_team_broker", raise_if_not_found=False)
        if not broker_team or not self.env.user.has_group("broker_crm.group_broker_agent"):
            return action
        context = action["context"]
        if not self.env.user.sale_team_id:
            context["default_team_id"] = broker_team.id
        if context.get("default_team_id") == broker_team.id:
            context["search_default_team_id"] = broker_team.id
            # the director follows every deal of the team, not only her own
            if self.env.user.has_group("broker_crm.group_broker_manager"):
                context.pop("search_default_assigned_to_me", None)
        return action
