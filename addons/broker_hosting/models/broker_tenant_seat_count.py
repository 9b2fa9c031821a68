from odoo import fields, models


class BrokerTenantSeatCount(models.Model):
    _name = "broker.tenant.seat.count"
    _description = "Seat Count of a Partner Database"
    _order = "date desc, tenant_id"
    _rec_name = "date"

    tenant_id = fields.Many2one("broker.tenant", string="Partner Database", required=True, ondelete="cascade")
    date = fields.Date(required=True)
    count = fields.Integer(
        string="Seats",
        required=True,
        help="Active internal users that day (portal users and the system user excluded).",
    )

    _sql_constraints = [
        ("tenant_date_unique", "UNIQUE(tenant_id, date)", "One seat count per partner database and day."),
    ]
