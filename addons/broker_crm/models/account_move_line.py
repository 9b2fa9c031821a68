from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    broker_commission_id = fields.Many2one("broker.commission", string="Partner Commission", index="btree_not_null",
                                           copy=False, readonly=True)  # fmt: skip

    def init(self):
        res = super().init()
        # A commission is billed at most once: one line on a bill that is not cancelled.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_move_line_broker_commission_once
                ON account_move_line (broker_commission_id)
             WHERE broker_commission_id IS NOT NULL AND parent_state != 'cancel'
            """
        )
        return res
