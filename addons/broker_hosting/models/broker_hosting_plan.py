from odoo import api, fields, models
from odoo.exceptions import UserError


class BrokerHostingPlan(models.Model):
    _name = "broker.hosting.plan"
    _description = "Hosting Plan"
    _order = "price_per_seat, name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    price_per_seat = fields.Monetary(
        string="Monthly Price per Seat",
        currency_field="currency_id",
        required=True,
        help="Invoiced each month per seat: the highest number of active internal users counted in the "
        "partner's database during the month.",
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self._default_currency(), ondelete="restrict"
    )
    product_id = fields.Many2one(
        "product.product",
        string="Invoiced Product",
        required=True,
        domain=[("type", "=", "service")],
        ondelete="restrict",
        help="The service line of the monthly invoice (its income account and taxes).",
    )
    tenant_ids = fields.One2many("broker.tenant", "plan_id", string="Partner Databases")
    tenant_count = fields.Integer(compute="_compute_tenant_count", string="Partner Database Count")

    @api.model
    def _default_currency(self):
        rub = self.env.ref("base.RUB", raise_if_not_found=False)
        return rub if rub and rub.active else self.env.company.currency_id

    @api.depends("tenant_ids")
    def _compute_tenant_count(self):
        counts = dict(self.env["broker.tenant"]._read_group([("plan_id", "in", self.ids)], ["plan_id"], ["__count"]))
        for plan in self:
            plan.tenant_count = counts.get(plan, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used_or_not_administrator(self):
        if not (self.env.su or self.env.user._is_admin()):
            raise UserError(self.env._("Only administrators delete hosting plans: archive the plan instead."))
        if self.env["broker.tenant"].search_count([("plan_id", "in", self.ids)], limit=1):
            raise UserError(
                self.env._("A hosting plan used by partner databases cannot be deleted: archive it instead.")
            )

    _sql_constraints = [
        ("price_positive", "CHECK(price_per_seat >= 0)", "The price per seat cannot be negative."),
    ]
