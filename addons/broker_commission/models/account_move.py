from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    broker_lead_ids = fields.One2many("crm.lead", "invoice_id", string="Broker Deals")

    def _broker_commissions(self):
        # sudo: accounting users may not read deals; only the commissions of these moves are touched
        invoices = self.sudo().filtered(lambda m: m.move_type in ("out_invoice", "out_refund", "in_invoice"))
        return (
            self.env["broker.commission"]
            .sudo()
            .search(["|", ("lead_id.invoice_id", "in", invoices.ids), ("bill_id", "in", invoices.ids)])
        )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # Posting makes the bill's partner a follower, which opens the bill to the partner's portal
        # users. A commission bill is the broker's accounting record: the partner sees its commissions
        # and bill numbers on /my/commissions only.
        for bill in posted.filtered(lambda move: move.line_ids.broker_commission_id):
            bill.message_unsubscribe(partner_ids=bill.partner_id.ids)
        return posted

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self._broker_commissions()._sync()
        return res

    def _reverse_moves(self, default_values_list=None, cancel=False):
        reversed_moves = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        self._broker_commissions()._sync()
        return reversed_moves

    def button_cancel(self):
        res = super().button_cancel()
        self._broker_commissions()._sync()
        return res

    def button_draft(self):
        res = super().button_draft()
        self._broker_commissions()._sync()
        return res
