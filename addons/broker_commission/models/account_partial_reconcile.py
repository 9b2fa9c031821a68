from odoo import models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def unlink(self):
        # A payment taken back from the client's invoice may cancel the partner's unpaid commission.
        moves = (self.debit_move_id | self.credit_move_id).move_id
        res = super().unlink()
        moves._broker_commissions()._sync()
        return res
