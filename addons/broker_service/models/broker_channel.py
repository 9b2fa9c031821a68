from odoo import api, fields, models
from odoo.exceptions import ValidationError


class BrokerChannel(models.Model):
    _name = "broker.channel"
    _description = "Inbound Channel"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    source_id = fields.Many2one("utm.source", string="UTM Source", ondelete="restrict")
    medium_id = fields.Many2one("utm.medium", string="UTM Medium", ondelete="restrict")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        help="Gets the new inbound requests of this channel and keeps its response standard.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    @api.constrains("name", "source_id", "medium_id")
    def _check_utm(self):
        for channel in self:
            if not channel.source_id and not channel.medium_id:
                raise ValidationError(self.env._("A channel needs a UTM source or a UTM medium."))

    @api.model
    def _match(self, source, medium):
        """The channel of a request with this UTM source and medium (the most specific one wins)."""
        if not source and not medium:
            return self.browse()
        best, best_score = self.browse(), 0
        for channel in self.search([]):
            if channel.source_id and channel.source_id != source:
                continue
            if channel.medium_id and channel.medium_id != medium:
                continue
            score = bool(channel.source_id) + bool(channel.medium_id)
            if score > best_score:
                best, best_score = channel, score
        return best
