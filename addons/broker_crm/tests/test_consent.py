import base64

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import BrokerCrmCommon, new_broker_user, new_portal_partner_user

SCAN = base64.b64encode(b"%PDF-1.4 signed consent")


@tagged("post_install", "-at_install")
class TestConsentLedger(BrokerCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_broker_user(cls.env, "consent_agent", "agent")
        cls.agent2 = new_broker_user(cls.env, "consent_agent2", "agent")
        cls.manager = new_broker_user(cls.env, "consent_manager", "manager")
        cls.client = cls.env["res.partner"].create(
            {"name": "Ivan Klientov", "email": "ivan@client.example", "phone": "+7 900 000-11-22", "city": "Moscow"}
        )
        cls.deal = cls._new_deal(cls.agent, partner_id=cls.client.id, passport_series="4510", passport_number="123456")

    def _consent(self, kind="credit_history", date="2026-06-01", user=None, **vals):
        values = {
            "partner_id": self.client.id,
            "kind": kind,
            "purpose": "Credit selection under the brokerage contract",
            "date_given": date,
            "method": "paper",
            "document": SCAN,
            "document_name": "consent.pdf",
        }
        values.update(vals)
        return self.env["broker.consent"].with_user(user or self.agent).create(values)

    @freeze_time("2026-06-10")
    def test_credit_history_consent_lasts_six_months_or_the_loan(self):
        consent = self._consent()
        self.assertEqual(str(consent.valid_until), "2026-12-01")
        self.assertEqual(consent.state, "valid")
        self.assertEqual(self.client._broker_consent_valid("credit_history", date_to=consent.valid_until), self.client)
        self.assertFalse(self.client._broker_consent_valid("credit_history", date_to="2027-01-01"))
        with freeze_time("2026-12-02"):
            consent.invalidate_recordset(["state"])
            self.assertEqual(consent.state, "expired")
            self.assertFalse(self.client._broker_consent_valid("credit_history"))
        # a loan concluded within the 6 months keeps it valid for the loan's term (218-FZ art. 6)
        self.deal.with_user(self.manager).write(
            {"amount_issued": 1_000_000, "date_issued": "2026-09-01", "loan_term_months": 36}
        )
        self.assertEqual(str(consent.loan_end_date), "2029-09-01")
        self.assertEqual(str(consent.valid_until), "2029-09-01")
        personal = self._consent(kind="personal_data")
        self.assertFalse(personal.valid_until, "valid until withdrawn")

    @freeze_time("2026-06-10")
    def test_evidence_required_and_never_deleted(self):
        with self.assertRaisesMessage(ValidationError, "signed document"):
            self._consent(document=False)
        with self.assertRaisesMessage(ValidationError, "future"):
            self._consent(date="2026-07-01")
        consent = self._consent(method="sms", document=False)
        for user in (self.agent, self.manager):
            with self.assertRaises(AccessError):
                consent.with_user(user).unlink()
        with self.assertRaisesMessage(UserError, "never deleted"):
            consent.sudo().unlink()
        self.assertTrue(consent.exists())

    def test_agents_see_the_consents_of_their_clients_only(self):
        consent = self._consent()
        with self.assertRaises(AccessError):
            consent.with_user(self.agent2).read(["purpose"])
        self.assertEqual(consent.with_user(self.manager).partner_id, self.client)

    @freeze_time("2026-11-20")
    def test_expiring_consent_gives_the_deal_owner_one_task(self):
        self._consent(date="2026-05-25")  # valid until 2026-11-25
        Consent = self.env["broker.consent"]
        Consent._cron_consents()
        Consent._cron_consents()
        activity_type = self.env.ref("broker_crm.mail_activity_type_consent_expiring")
        tasks = self.deal.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        self.assertEqual(len(tasks), 1)
        self.assertEqual(tasks.user_id, self.agent)

    @freeze_time("2026-11-20")
    def test_no_reminder_when_the_client_already_renewed(self):
        self._consent(date="2026-05-25")  # valid until 2026-11-25
        self._consent(date="2026-11-18")  # the new one, valid until 2027-05-18
        self.env["broker.consent"]._cron_consents()
        activity_type = self.env.ref("broker_crm.mail_activity_type_consent_expiring")
        self.assertFalse(self.deal.activity_ids.filtered(lambda a: a.activity_type_id == activity_type))

    def test_withdrawal_then_erasure_keeps_the_contract(self):
        with freeze_time("2026-06-01"):
            consent = self._consent(kind="personal_data")
            attachment = self.deal.document_ids[0]._attach_files(
                [("passport.pdf", b"%PDF-1.4 passport", "application/pdf")]
            )
            self.deal.write({"contract_signed_scan": SCAN, "contract_signed_scan_name": "contract.pdf"})
            consent.with_user(self.agent).action_withdraw()
        self.assertEqual(str(consent.withdrawn_on), "2026-06-01")
        self.assertEqual(str(consent.erase_after), "2026-07-01")
        with freeze_time("2026-06-15"):
            self.env["broker.consent"]._cron_consents()
        self.assertEqual(self.client.name, "Ivan Klientov", "nothing is erased before the retention period")
        with freeze_time("2026-07-02"):
            self.env["broker.consent"]._cron_consents()
        self.assertNotEqual(self.client.name, "Ivan Klientov")
        self.assertFalse(self.client.email or self.client.phone or self.client.city)
        deal = self.deal.sudo()
        self.assertFalse(deal.passport_number or deal.email_from or deal.contact_name)
        self.assertFalse(attachment.exists(), "the client's documents are erased")
        self.assertTrue(deal.contract_signed_scan, "the signed contract is kept")
        log = self.env["broker.erasure.log"].search([("partner_id", "=", self.client.id)])
        self.assertEqual(log.reason, "withdrawal")
        self.assertIn("passport", log.categories)
        self.assertTrue(consent.exists(), "the consent stays as the proof")
        # a second run erases nothing more and logs nothing more
        with freeze_time("2026-07-03"):
            self.env["broker.consent"]._cron_consents()
        self.assertEqual(len(self.env["broker.erasure.log"].search([("partner_id", "=", self.client.id)])), 1)

    def test_only_managers_erase_early_and_read_the_log(self):
        with self.assertRaises(AccessError):
            self.client.with_user(self.agent).action_broker_erase_personal_data()
        self.assertEqual(self.client.name, "Ivan Klientov")
        self.client.with_user(self.manager).action_broker_erase_personal_data()
        self.assertFalse(self.client.email)
        log = self.env["broker.erasure.log"].with_user(self.manager).search([("partner_id", "=", self.client.id)])
        self.assertEqual((log.reason, log.user_id), ("manager", self.manager))
        with self.assertRaises(AccessError):
            self.env["broker.erasure.log"].with_user(self.agent).search([])

    def test_managers_export_what_is_held_about_a_client(self):
        self._consent(kind="personal_data")
        Report = self.env["ir.actions.report"]
        html, _fmt = Report.with_user(self.manager)._render_qweb_html(
            "broker_crm.action_report_personal_data", self.client.ids
        )
        self.assertIn(b"123456", html, "the passport data of the client's deals is listed")
        self.assertIn(b"Credit selection under the brokerage contract", html)
        with self.assertRaises(AccessError):
            Report.with_user(self.agent)._render_qweb_html("broker_crm.action_report_personal_data", self.client.ids)

    def test_consents_and_erasure_log_stay_with_broker_staff(self):
        consent = self._consent(kind="personal_data")
        self.client.with_user(self.manager).action_broker_erase_personal_data()
        log = self.env["broker.erasure.log"].search([("partner_id", "=", self.client.id)])
        referral = self.env["res.partner"].create(
            {"name": "Partner Agency", "is_company": True, "is_broker_partner": True}
        )
        portal = new_portal_partner_user(self.env, "consent_portal", referral)
        accountant = new_broker_user(self.env, "consent_accountant", "accountant")
        # what JSON-RPC call_kw runs for these users: the ORM read as the user
        for user in (portal, accountant):
            for record in (consent, log):
                with self.subTest(user=user.login, model=record._name), self.assertRaises(AccessError):
                    record.with_user(user).read(["partner_id"])
        with self.assertRaises(AccessError):
            self.client.with_user(portal).read(["broker_consent_ids"])
        # agents record consents but do not copy them out
        with self.assertRaises(UserError):
            consent.with_user(self.agent).export_data(["partner_id", "purpose"])
        with self.assertRaises(UserError):
            log.with_user(self.agent).export_data(["partner_id"])
