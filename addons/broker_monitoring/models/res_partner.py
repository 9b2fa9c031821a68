from odoo import models

# What the bureau needs to identify a person, kept on the subscription.
SUBSCRIPTION_PERSONAL_FIELDS = ("birth_date", "passport_series", "passport_number")


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _broker_consent_withdrawn(self, kinds):
        result = super()._broker_consent_withdrawn(kinds)
        if "credit_history" in kinds:
            # the withdrawal stops the monitoring at once (218-FZ art. 6); sudo: the subscription may be
            # another agent's, and only the client's own subscriptions are ended
            subscriptions = (
                self.env["broker.monitoring.subscription"]
                .sudo()
                .search([("partner_id", "in", self.ids), ("state", "=", "active")])
            )
            subscriptions._end_unconsented("cancelled")
        return result

    def _broker_erase_extra_data(self):
        categories = super()._broker_erase_extra_data()
        # sudo: erasure reaches every bureau record about the client, whoever triggered it (the daily job
        # or a manager); the fields erased are fixed here
        subscriptions = (
            self.env["broker.monitoring.subscription"]
            .sudo()
            .with_context(active_test=False, broker_consent_applied=True)
            .search([("partner_id", "in", self.ids)])
        )
        signals = (
            self.env["broker.monitoring.signal"]
            .sudo()
            .with_context(active_test=False)
            .search(["|", ("partner_id", "in", self.ids), ("subscription_id", "in", subscriptions.ids)])
        )
        if not (subscriptions or signals):
            return categories
        # rejected rows of the bureau are matched by the identifiers the bureau knows the person by
        identifiers = subscriptions.mapped("subject_ref") + subscriptions.mapped("inn") + signals.mapped("subject_ref")
        rejected = self.env["broker.monitoring.rejection"].sudo()._erase_identifiers(identifiers)
        signals.write({"payload": False, "subject_ref": False, "creditor": False, "amount": 0.0})
        # without the person's identifiers the bureau cannot be asked anymore: monitoring ends
        subscriptions.filtered(lambda s: s.state == "active").state = "cancelled"
        values = dict.fromkeys(SUBSCRIPTION_PERSONAL_FIELDS, False) | {"applied_creditors": False}
        people = subscriptions.filtered(lambda s: not s.partner_id.is_company)
        (subscriptions - people).write(values)
        # the INN of an individual is personal data, a company's is not; the subject keeps one per person
        for partner, subs in people.grouped("partner_id").items():
            subs.write(values | {"inn": False, "subject_ref": f"partner-{partner.id}"})
        categories.append(
            self.env._(
                "credit bureau monitoring: %(signals)s signals (raw data, subject, creditor, amount), "
                "%(subscriptions)s subscriptions (passport, birth date, INN, banks applied to), "
                "%(rejected)s rejected bureau rows (raw data)",
                rejected=rejected,
                signals=len(signals),
                subscriptions=len(subscriptions),
            )
        )
        return categories
