from datetime import timedelta

from odoo import api, fields, models

# A rejected item is kept raw for the administrator to see what the bureau sent; it may hold someone's
# personal data and is kept no longer than that needs (152-FZ art. 5 part 7).
RAW_RETENTION_DAYS = 30


class BrokerMonitoringRejection(models.Model):
    _name = "broker.monitoring.rejection"
    _description = "Rejected Bureau Signal"
    _order = "id desc"

    run_id = fields.Many2one("broker.monitoring.run", required=True, index=True, ondelete="cascade")
    provider_id = fields.Many2one(related="run_id.provider_id", store=True)
    external_id = fields.Char(string="External ID")
    reason = fields.Char(required=True)
    raw = fields.Text(
        string="Raw Data",
        help=f"Cleared after {RAW_RETENTION_DAYS} days, or when the person it names is erased "
        "(152-FZ art. 5 part 7: personal data are kept no longer than their purpose needs).",
    )

    @api.model
    def _cron_purge_raw(self):
        """Daily: the raw data of old rejections is cleared; the reason and the count stay."""
        limit = fields.Datetime.now() - timedelta(days=RAW_RETENTION_DAYS)
        self.search([("create_date", "<", limit), ("raw", "!=", False)]).write({"raw": False})

    @api.model
    def _erase_identifiers(self, identifiers):
        """Clear the raw data of rejections naming any of these identifiers; returns how many."""
        identifiers = [ident for ident in set(identifiers) if ident and len(ident) >= 5]
        if not identifiers:
            return 0
        domain = ["|"] * (len(identifiers) - 1) + [("raw", "ilike", ident) for ident in identifiers]
        rejections = self.search(domain)
        rejections.write({"raw": False})
        return len(rejections)
