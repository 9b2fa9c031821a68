from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class BrokerStageGateOverride(models.TransientModel):
    _name = "broker.stage.gate.override"
    _description = "Move Deals Past Unmet Stage Conditions"

    lead_ids = fields.Many2many("crm.lead", string="Deals", required=True)
    stage_id = fields.Many2one("crm.stage", required=True)
    missing = fields.Text(string="Not Met", compute="_compute_missing")
    reason = fields.Text(required=True, help="Why the deal moves on anyway: written to the deal's history.")

    @api.depends("lead_ids", "stage_id")
    def _compute_missing(self):
        for wizard in self:
            unmet = wizard.lead_ids._stage_gates_unmet(wizard.stage_id) if wizard.stage_id else {}
            wizard.missing = "\n".join(
                f"{lead.display_name}: {'; '.join(gates.mapped('name'))}" for lead, gates in unmet.items()
            )

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("broker_crm.group_broker_manager"):
            raise AccessError(self.env._("Only a broker manager can override the conditions of a stage."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the deal moves on without meeting the conditions."))
        # the deals are written as the manager: record rules and every other check still apply
        self.lead_ids.with_context(broker_gate_override=reason).write({"stage_id": self.stage_id.id})
        return {"type": "ir.actions.act_window_close"}
