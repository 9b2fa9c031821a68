import base64

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import CONSENT_SCAN, BrokerMonitoringCommon, make_signal

HEADER = "name;birth_date;inn;consent_ref;consent_date\n"


@tagged("post_install", "-at_install")
class TestConsent(BrokerMonitoringCommon):
    """Monitoring only with the client's valid consent to request the credit history (218-FZ art. 6)."""

    freeze_time = "2025-03-15"

    def _bureau_activities(self, record):
        return self.env["mail.activity"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id),
             ("activity_type_id", "=", self.env.ref("broker_monitoring.mail_activity_type_bureau_signal").id)]
        )  # fmt: skip

    def test_subscription_refused_without_consent_and_capped_to_it(self):
        Subscription = self.env["broker.monitoring.subscription"]
        with self.assertRaises(UserError) as catcher:
            self._subscribe(reason="existing", consent=False)
        self.assertIn("No valid consent of Ivan Petrov", str(catcher.exception))
        self.assertFalse(Subscription.search([("partner_id", "=", self.client.id)]))
        # an expired consent does not cover today's start either
        self._consent(date_given="2024-09-01")
        with self.assertRaises(UserError):
            self._subscribe(reason="existing", date_start="2025-03-15", consent=False)
        self._consent(date_given="2025-03-01")
        subscription = self._subscribe(reason="existing", consent=False)
        # 12 months for an existing client, capped to the consent's 6
        self.assertEqual(str(subscription.date_end), "2025-09-01")
        subscription.date_end = "2026-01-01"
        self.assertEqual(str(subscription.date_end), "2025-09-01")
        # renewing after the consent is over is refused
        subscription.action_cancel()
        with freeze_time("2025-09-10"), self.assertRaises(UserError):
            subscription.action_renew()
        self.assertEqual(subscription.state, "cancelled")

    def test_bulk_wizard_reports_clients_without_consent(self):
        olga = self.env["res.partner"].create({"name": "Olga Without Consent"})
        self._consent(date_given="2025-03-10")
        wizard = (
            self.env["broker.monitoring.subscribe.wizard"]
            .with_user(self.user_agent)
            .with_context(active_model="res.partner", active_ids=(self.client | olga).ids)
            .create({"reason": "win_back"})
        )
        message = wizard.action_confirm()["params"]["message"]
        self.assertIn("1 client(s) put on monitoring", message)
        self.assertIn("Olga Without Consent", message)
        subscriptions = self.env["broker.monitoring.subscription"].search(
            [("partner_id", "in", (self.client | olga).ids)]
        )
        self.assertEqual(subscriptions.partner_id, self.client)
        self.assertEqual(str(subscriptions.date_end), "2025-09-10")

    def test_routing_stops_at_consent_expiry_and_cron_ends_monitoring(self):
        lead = self._lead(step="contract")
        consent = self._consent(date_given="2025-03-01", loan_end_date="2026-03-01")
        subscription = self._subscribe(reason="existing", lead_id=lead.id, consent=False)
        self.assertEqual(str(subscription.date_end), "2026-03-01")
        with freeze_time("2025-08-20"):
            self._ingest([make_signal(1, date="2025-08-20")])
            self.assertEqual(self._signals().state, "routed")
            # the loan was entered by mistake: the consent ends on 2025-09-01 after all
            consent.loan_end_date = False
        with freeze_time("2025-09-02"):
            self._ingest([make_signal(2, date="2025-09-02")])
            signal = self._signals().filtered(lambda s: s.external_id == "sig-2")
            self.assertEqual(signal.state, "not_routed")
            self.assertIn("No valid consent", signal.route_note)
            self.assertEqual(len(self._bureau_activities(lead)), 1)
            self.env["broker.consent"]._cron_consents()
            self.assertEqual(subscription.state, "expired")

    def test_issued_credit_extends_the_consent_and_the_monitoring(self):
        lead = self._lead(step="contract")
        self._consent(date_given="2025-03-01", lead_id=lead.id)
        subscription = self._subscribe(reason="existing", lead_id=lead.id, consent=False)
        self.assertEqual(str(subscription.date_end), "2025-09-01")
        # the manager records the loan issued within the consent: 218-FZ keeps it valid for the loan's term
        lead.with_user(self.user_manager).write({"date_issued": "2025-03-14", "loan_term_months": 24})
        self.assertEqual(str(subscription.date_end), "2026-03-01")
        with freeze_time("2025-10-01"):
            self.env["broker.consent"]._cron_consents()
            self.assertEqual(subscription.state, "active")
            self._ingest([make_signal(1, date="2025-10-01")])
            self.assertEqual(self._signals().state, "routed")

    def test_withdrawal_stops_monitoring_at_once(self):
        lead = self._lead(step="contract")
        subscription = self._subscribe(lead_id=lead.id)
        consent = self.client.broker_consent_ids
        consent.with_user(self.user_agent).action_withdraw()
        self.assertEqual(subscription.state, "cancelled")
        self._ingest([make_signal(1)])
        self.assertEqual(self._signals().state, "not_routed")
        self.assertFalse(self._bureau_activities(lead))
        with self.assertRaises(UserError):
            subscription.action_renew()

    def test_erasure_removes_the_bureau_data(self):
        subscription = self._subscribe(
            subject="770712345633", inn="770712345633", birth_date="1980-01-01", passport_series="4510",
            passport_number="123456", applied_creditors="Sberbank",
        )  # fmt: skip
        self._ingest([make_signal(1, subject="770712345633")])
        signal = self._signals()
        self.assertTrue(signal.payload)
        self.client.with_user(self.user_manager).action_broker_erase_personal_data()
        self.assertRecordValues(signal, [{"payload": False, "subject_ref": False, "creditor": False, "amount": 0.0}])
        self.assertRecordValues(
            subscription,
            [{"state": "cancelled", "inn": False, "birth_date": False, "passport_series": False,
              "passport_number": False, "applied_creditors": False, "subject_ref": f"partner-{self.client.id}"}],
        )  # fmt: skip
        log = self.env["broker.erasure.log"].search([("partner_id", "=", self.client.id)])
        self.assertIn("credit bureau monitoring: 1 signals", log.categories)

    def test_erasure_and_retention_clear_rejected_bureau_rows(self):
        """Rows the bureau sent that could not be read may name the person: they go with the erasure,
        and anybody's are cleared after the retention period."""
        self._subscribe(subject="770712345633", inn="770712345633")
        run, _counts = self._ingest(
            [make_signal(1, subject="770712345633", date="not a date"), make_signal(2, subject="OTHER-77", amount=-5)]
        )
        mine, other = run.rejection_ids.sorted("external_id")
        self.assertIn("770712345633", mine.raw)
        self.client.with_user(self.user_manager).action_broker_erase_personal_data()
        self.assertFalse(mine.raw, "the erased person's rejected row is cleared")
        self.assertTrue(other.raw, "somebody else's is not")
        self.assertEqual(mine.reason, "invalid date 'not a date'", "the reason stays for the administrator")
        log = self.env["broker.erasure.log"].search([("partner_id", "=", self.client.id)])
        self.assertIn("1 rejected bureau rows", log.categories)
        Rejection = self.env["broker.monitoring.rejection"]
        Rejection._cron_purge_raw()
        self.assertTrue(other.raw, "kept for 30 days")
        # the row was received 42 days ago (the database stamps create_date, not the test clock)
        self.env.cr.execute("UPDATE broker_monitoring_rejection SET create_date = %s WHERE id = %s",
                            ("2025-02-01 10:00:00", other.id))  # fmt: skip
        other.invalidate_recordset()
        Rejection._cron_purge_raw()
        self.assertFalse(other.raw)

    def _import(self, text, **vals):
        wizard = (
            self.env["broker.monitoring.import.wizard"]
            .with_user(self.user_manager)
            .create(dict({"file": base64.b64encode(text.encode()), "reason": "win_back",
                          "consent_method": "esign"}, **vals))
        )  # fmt: skip
        wizard.action_validate()
        return wizard

    def test_mass_import_needs_consent_evidence(self):
        text = HEADER + (
            "Ivanov Ivan;1985-04-12;770712345633;ЭП-2025-001;10.03.2025\n"
            "Petrova Anna;1990-07-12;500100732259;;\n"
            "Old Consent;1980-01-01;366218573737;ЭП-2024-017;2024-08-01\n"
            "No Ref;1980-01-01;772208426028;;2025-03-01\n"
        )
        wizard = self._import(text)
        self.assertEqual((wizard.valid_count, wizard.error_count), (1, 3), wizard.report)
        self.assertEqual(
            wizard.report.splitlines(),
            [
                (
                    "Line 3: no consent to request the credit history (218-FZ art. 6): fill consent_ref and "
                    "consent_date or declare a batch consent"
                ),
                "Line 4: the consent of 2024-08-01 does not cover the start of monitoring",
                "Line 5: the consent needs its document reference and a valid date",
            ],
        )
        wizard.action_import()
        imported = self.env["broker.monitoring.subscription"].search(
            [("source", "=", "import"), ("user_id", "=", self.user_manager.id)]
        )
        self.assertEqual(imported.partner_id.name, "Ivanov Ivan")
        self.assertRecordValues(
            imported.partner_id.broker_consent_ids,
            [{"kind": "credit_history", "method": "esign", "state": "valid"}],
        )
        self.assertIn("ЭП-2025-001", imported.partner_id.broker_consent_ids.purpose)
        # a paper consent needs its signed document
        self.assertEqual(self._import(text.replace("Ivanov Ivan", "Sidorov"), consent_method="paper").valid_count, 0)
        # a half-declared batch consent is refused as a whole
        with self.assertRaises(UserError):
            self._import(text, consent_date="2025-03-10")

        # the signed register of the whole base: every row is covered
        batch = self._import(
            text.replace("770712345633", "231300214803"),
            consent_method="paper",
            consent_document=CONSENT_SCAN,
            consent_document_name="register.pdf",
            consent_date="2025-03-12",
            consent_purpose="Bureau monitoring of the contact base",
        )
        # rows naming their own (too old or incomplete) consent are still checked on their own
        self.assertEqual((batch.valid_count, batch.error_count), (2, 2), batch.report)
        batch.action_import()
        petrova = self.env["res.partner"].search([("name", "=", "Petrova Anna")])
        self.assertRecordValues(
            petrova.broker_consent_ids,
            [{"kind": "credit_history", "method": "paper", "document_name": "register.pdf",
              "purpose": "Bureau monitoring of the contact base"}],
        )  # fmt: skip
        self.assertTrue(self.env["broker.monitoring.subscription"].search([("partner_id", "=", petrova.id)]))
