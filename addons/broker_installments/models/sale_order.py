from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    installment_application_ids = fields.One2many(
        "broker.installment.application", "order_id", string="Installment Applications"
    )
    installment_application_count = fields.Integer(compute="_compute_installment_application_count")

    @api.depends("installment_application_ids")
    def _compute_installment_application_count(self):
        counts = dict(
            self.env["broker.installment.application"]._read_group(
                [("order_id", "in", self.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self:
            order.installment_application_count = counts.get(order, 0)
