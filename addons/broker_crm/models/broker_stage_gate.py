from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval


class BrokerStageGate(models.Model):
    """What must hold for a deal to enter a stage: a condition on the deal, kept as data."""

    _name = "broker.stage.gate"
    _description = "Stage Entry Condition"
    _order = "stage_id, sequence, id"

    stage_id = fields.Many2one("crm.stage", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(
        string="Requirement",
        required=True,
        translate=True,
        help='Said to the user when the deal does not meet it, e.g. "an approved bank application".',
    )
    domain = fields.Char(
        string="Condition",
        required=True,
        default="[]",
        help="The deals that meet the requirement. Evaluated on the deal with today's date as context_today.",
    )
    active = fields.Boolean(default=True)

    @api.constrains("domain")
    def _check_domain(self):
        for gate in self:
            gate._check_domain_usable()

    def _check_domain_usable(self):
        try:
            self.env["crm.lead"].search_count(self._eval_domain(), limit=1)
        except Exception as error:
            raise ValidationError(
                self.env._("The condition of %(gate)s is not valid: %(error)s", gate=self.name, error=error)
            ) from error

    def _eval_domain(self):
        self.ensure_one()
        return safe_eval(
            self.domain or "[]",
            {
                "datetime": safe_datetime,
                "context_today": lambda: fields.Date.context_today(self),
                "uid": self.env.uid,
            },
        )

    def _unmet(self, leads):
        """{lead id: unmet gates} for the given deals (evaluated on the deals' stored values)."""
        unmet = {lead.id: self.browse() for lead in leads}
        for gate in self:
            # sudo: the condition may look at personal or money fields the user cannot read; only
            # whether each deal meets it comes out
            passing = leads.sudo().filtered_domain(gate._eval_domain())
            for lead in leads - passing:
                unmet[lead.id] |= gate
        return unmet
