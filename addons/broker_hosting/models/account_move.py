from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    broker_tenant_id = fields.Many2one(
        "broker.tenant", string="Partner Database", index="btree_not_null", readonly=True, copy=False
    )
    broker_hosting_period = fields.Date(
        string="Hosting Month", readonly=True, copy=False, help="First day of the month whose seats are invoiced."
    )

    _sql_constraints = [
        (
            "broker_hosting_period_unique",
            "UNIQUE(broker_tenant_id, broker_hosting_period)",
            "A partner database's seats are invoiced once per month.",
        ),
    ]
