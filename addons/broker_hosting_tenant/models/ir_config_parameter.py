from odoo import api, models
from odoo.exceptions import UserError

# Written by the broker's hosting database through a direct connection, never from here.
SEAT_LIMIT_KEY = "broker_hosting.seat_limit"
SUSPENDED_KEY = "broker_hosting.suspended"
SUSPENDED_REASON_KEY = "broker_hosting.suspended_reason"
HOSTING_PREFIX = "broker_hosting."


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    def _check_hosting_keys(self, keys):
        # The superuser (the broker's own maintenance code) may; the firm's administrators may not.
        if self.env.su:
            return
        if any((key or "").startswith(HOSTING_PREFIX) for key in keys):
            raise UserError(
                self.env._(
                    "The seat limit and the suspension of this database are managed by the broker "
                    "hosting it and cannot be changed here."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_hosting_keys([vals.get("key") for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        self._check_hosting_keys(self.mapped("key") + [vals.get("key")])
        return super().write(vals)

    def unlink(self):
        self._check_hosting_keys(self.mapped("key"))
        return super().unlink()
