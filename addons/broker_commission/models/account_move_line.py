from odoo import fields, models
from odoo.exceptions import UserError


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    broker_commission_id = fields.Many2one("broker.commission", string="Partner Commission", index="btree_not_null",
                                           copy=False, readonly=True)  # fmt: skip
    broker_ndfl_above_threshold = fields.Boolean(
        string="Above the Income Tax Threshold",
        copy=False,
        readonly=True,
        help="The part of the commission above the partner's yearly threshold, withheld at the higher rate "
        "(NK RF art. 224 p. 1).",
    )

    def init(self):
        res = super().init()
        # A commission is billed at most once: one line on a bill that is not cancelled, or two when an
        # individual's commission crosses the yearly income tax threshold (the part below it and above it).
        self.env.cr.execute("DROP INDEX IF EXISTS account_move_line_broker_commission_once")
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_move_line_broker_commission_once_per_rate
                ON account_move_line (broker_commission_id, COALESCE(broker_ndfl_above_threshold, FALSE))
             WHERE broker_commission_id IS NOT NULL AND parent_state != 'cancel'
            """
        )
        return res

    def _reconcile_plan(self, reconciliation_plan):
        # A self-employed partner's bill is paid against the «Мой налог» receipt (422-FZ art. 14): users
        # record it on the commission first. Payments matched by the system (bank imports, jobs) go
        # through; such bills are listed and chased by _cron_missing_receipts.
        if not self.env.su:
            _plan, lines = self._optimize_reconciliation_plan(reconciliation_plan)
            # sudo: only whether the bills' commissions lack a receipt is read
            commissions = lines.sudo().move_id.line_ids.broker_commission_id.filtered("receipt_missing")
            if commissions:
                raise UserError(
                    self.env._(
                        "Record the «Мой налог» receipt of %(partner)s (number, date, and a link or a scan) on the "
                        "commission of %(deal)s before paying the bill (422-FZ art. 14).",
                        partner=commissions[0].partner_id.commercial_partner_id.display_name,
                        deal=commissions[0].lead_id.name,
                    )
                )
        return super()._reconcile_plan(reconciliation_plan)
