from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, models

from .broker_monitoring_subscription import REASON_MONTHS


class BrokerConsent(models.Model):
    _inherit = "broker.consent"

    def write(self, vals):
        before = {consent: consent.valid_until for consent in self if consent.kind == "credit_history"}
        result = super().write(vals)
        extended = {
            consent: old
            for consent, old in before.items()
            if old and consent.valid_until and consent.valid_until > old and not consent.withdrawn_on
        }
        if extended:
            self._extend_subscriptions(extended)
        return result

    def _extend_subscriptions(self, extended):
        """A loan concluded within the consent keeps it valid longer (218-FZ art. 6): the running
        subscriptions that stopped at the old end of the consent go on up to their reason's period."""
        # sudo: the subscriptions of the client may be another agent's; only their end follows the consent
        subscriptions = (
            self.env["broker.monitoring.subscription"]
            .sudo()
            .search([("partner_id", "in", [c.partner_id.id for c in extended]), ("state", "=", "active")])
        )
        by_partner = subscriptions.grouped("partner_id")
        by_end = defaultdict(subscriptions.browse)
        for consent, old in extended.items():
            for subscription in by_partner.get(consent.partner_id, subscriptions.browse()):
                if subscription.date_end != old:
                    continue
                months = REASON_MONTHS.get(subscription.reason, 3)
                planned = subscription.date_start + relativedelta(months=months)
                by_end[min(planned, consent.valid_until)] |= subscription
        # one write per new end, not per subscription
        for end, to_extend in by_end.items():
            to_extend.write({"date_end": end})

    @api.model
    def _cron_consents(self):
        result = super()._cron_consents()
        # monitoring stops the day the client's credit history consent expires (218-FZ art. 6)
        # sudo: the daily job ends every agent's subscriptions
        running = self.env["broker.monitoring.subscription"].sudo().search([("state", "=", "active")])
        running._end_unconsented("expired")
        return result
