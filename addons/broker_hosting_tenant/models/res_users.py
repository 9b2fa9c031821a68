from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.http import request
from odoo.tools import SQL

from .ir_config_parameter import SEAT_LIMIT_KEY, SUSPENDED_KEY, SUSPENDED_REASON_KEY

# Fields whose change can turn a user into an active internal user (a seat).
SEAT_FIELDS = ("active", "groups_id", "share")


class ResUsers(models.Model):
    _inherit = "res.users"

    broker_hosting_seat_limit = fields.Integer(
        string="Seat Limit",
        compute="_compute_broker_hosting_seat_limit",
        help="Active internal users allowed in this database by the broker's subscription (0: no limit). "
        "Portal users do not take a seat.",
    )

    def _compute_broker_hosting_seat_limit(self):
        limit = self._broker_hosting_seat_limit()
        for user in self:
            user.broker_hosting_seat_limit = limit

    @api.model
    def _broker_hosting_seat_limit(self):
        # sudo: a system parameter written by the broker, read to check any user's change
        value = self.env["ir.config_parameter"].sudo().get_param(SEAT_LIMIT_KEY) or "0"
        try:
            return max(int(value), 0)
        except ValueError:
            return 0

    @api.model
    def _broker_hosting_seat_count(self):
        """Active internal users, the superuser excluded: the seats the broker bills."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM res_users WHERE active AND share IS NOT TRUE AND id != %s", [SUPERUSER_ID]
        )
        return self.env.cr.fetchone()[0]

    def _broker_hosting_check_seats(self, before):
        limit = self._broker_hosting_seat_limit()
        if not limit:
            return
        count = self._broker_hosting_seat_count()
        if count > limit and count > before:
            raise UserError(
                self.env._(
                    "This database allows %(limit)s active internal users (seats) and this change would make "
                    "%(count)s. Archive a user you no longer need, give the person portal access instead, "
                    "or ask the broker to raise the seat limit.",
                    limit=limit,
                    count=count,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        before = self._broker_hosting_seat_count() if self._broker_hosting_seat_limit() else 0
        users = super().create(vals_list)
        users._broker_hosting_check_seats(before)
        return users

    def write(self, vals):
        relevant = any(key in SEAT_FIELDS or key.startswith(("in_group_", "sel_groups_")) for key in vals)
        if not relevant or not self._broker_hosting_seat_limit():
            return super().write(vals)
        before = self._broker_hosting_seat_count()
        result = super().write(vals)
        self._broker_hosting_check_seats(before)
        return result

    # ------------------------------------------------------------------ suspension
    @api.model
    def _broker_hosting_suspension(self):
        """The reason the broker suspended this database, or None. Read from the table (not the
        parameter cache) so that a suspension written by the broker applies at once."""
        self.env["ir.config_parameter"].flush_model(["key", "value"])
        self.env.cr.execute(
            "SELECT key, value FROM ir_config_parameter WHERE key IN %s", [(SUSPENDED_KEY, SUSPENDED_REASON_KEY)]
        )
        values = dict(self.env.cr.fetchall())
        if values.get(SUSPENDED_KEY) not in (None, "", "0", "False"):
            return values.get(SUSPENDED_REASON_KEY) or ""
        return None

    def _check_credentials(self, credential, env):
        auth_info = super()._check_credentials(credential, env)
        reason = self._broker_hosting_suspension()
        if reason is not None:
            lang = self.env.user.lang or (request and request.best_lang) or "en_US"
            message = self.with_context(lang=lang).env._(
                "Access to this database is suspended by the broker hosting it: %(reason)s. "
                "Your data is kept; access returns as soon as the broker resumes the subscription.",
                reason=reason or self.with_context(lang=lang).env._("no reason given"),
            )
            raise AccessDenied(message)
        return auth_info

    def _get_session_token_query_params(self):
        # The suspension flag is part of every session token: suspending logs everybody out at
        # their next request, resuming makes the sessions valid again.
        params = super()._get_session_token_query_params()
        params["select"] = SQL(
            "%s, (SELECT value FROM ir_config_parameter WHERE key = %s)", params["select"], SUSPENDED_KEY
        )
        return params
