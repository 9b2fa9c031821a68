import base64
from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CONSENT_SCAN, BrokerMonitoringCommon, make_signal

HEADER = "name;phone;birth_date;passport_series;passport_number;inn\n"


@tagged("post_install", "-at_install")
class TestSubscriptions(BrokerMonitoringCommon):
    freeze_time = "2025-03-15"

    def _import_wizard(self, text, user=None, **vals):
        return (
            self.env["broker.monitoring.import.wizard"]
            .with_user(user or self.user_manager)
            .create(dict({"file": base64.b64encode(text.encode()), "reason": "win_back"}, **vals))
        )

    def test_put_leads_on_monitoring_in_bulk(self):
        lead_a = self._lead(name="Deal A")
        lead_b = self._lead(name="Deal B", partner_id=self.env["res.partner"].create({"name": "Olga"}).id)
        for partner in lead_a.partner_id | lead_b.partner_id:
            self._consent(partner, "2025-03-15")
        leads = (lead_a | lead_b).with_user(self.user_agent)
        wizard = Form(
            self.env["broker.monitoring.subscribe.wizard"]
            .with_user(self.user_agent)
            .with_context(active_model="crm.lead", active_ids=leads.ids)
        )
        wizard.reason = "preparing"
        self.assertEqual(str(wizard.date_end), "2025-09-15")
        wizard.save().action_confirm()
        subscriptions = self.env["broker.monitoring.subscription"].search([("lead_id", "in", leads.ids)])
        self.assertRecordValues(
            subscriptions.sorted(lambda sub: sub.lead_id.id),
            [{"lead_id": lead_a.id, "partner_id": self.client.id, "reason": "preparing", "source": "bulk",
              "user_id": self.user_agent.id, "date_end": date(2025, 9, 15)},
             {"lead_id": lead_b.id, "partner_id": lead_b.partner_id.id, "reason": "preparing", "source": "bulk",
              "user_id": self.user_agent.id, "date_end": date(2025, 9, 15)}],
        )  # fmt: skip
        # again: both clients are already watched for this reason
        wizard = (
            self.env["broker.monitoring.subscribe.wizard"]
            .with_user(self.user_agent)
            .with_context(active_model="crm.lead", active_ids=leads.ids)
            .create({"reason": "preparing"})
        )
        result = wizard.action_confirm()
        self.assertIn("0 client(s) put on monitoring, 2 already on monitoring", result["params"]["message"])
        self.assertEqual(self.env["broker.monitoring.subscription"].search_count([("lead_id", "in", leads.ids)]), 2)

    def test_put_contacts_on_monitoring(self):
        partners = self.env["res.partner"].create([{"name": "A"}, {"name": "B"}])
        for partner in partners:
            self._consent(partner, "2025-03-15")
        wizard = (
            self.env["broker.monitoring.subscribe.wizard"]
            .with_user(self.user_agent)
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({"reason": "long_pause"})
        )
        wizard.action_confirm()
        subscriptions = self.env["broker.monitoring.subscription"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(subscriptions.mapped("reason"), ["long_pause", "long_pause"])
        # a long pause is watched 12 months, but no longer than the consent's 6 (218-FZ art. 6)
        self.assertEqual(str(subscriptions[0].date_end), "2025-09-15")
        self.assertEqual(subscriptions.user_id, self.user_agent)

    def test_import_contact_base_with_validation_report(self):
        text = HEADER + (
            "Ivanov Ivan;+7 900 123-45-67;1985-04-12;4610;123456;\n"
            "Petrova Anna;;12.07.1990;;;770712345633\n"
            ";+79001112233;1980-01-01;4510;654321;\n"
            "Too Young;;2015-01-01;4510;111111;\n"
            "Bad Inn;;1980-01-01;;;770712345630\n"
            "No Id;;1980-01-01;;;\n"
            "Bad Date;;31.02.1980;4510;222222;\n"
            "Bad Passport;;1980-01-01;45;12;\n"
            "Bad Phone;123;1980-01-01;4510;333333;\n"
            "Ivanov Twin;;1985-04-12;4610;123456;\n"
        )
        # the signed consents of the whole base, declared once
        batch = {
            "consent_document": CONSENT_SCAN,
            "consent_document_name": "register.pdf",
            "consent_date": "2025-03-10",
            "consent_purpose": "Credit history request and bureau monitoring",
        }
        wizard = self._import_wizard(text, **batch)
        wizard.action_validate()
        self.assertEqual((wizard.valid_count, wizard.error_count), (2, 8), wizard.report)
        self.assertEqual(
            wizard.report.splitlines(),
            [
                "Line 4: no name",
                "Line 5: the client must be at least 18 years old",
                "Line 6: invalid INN '770712345630'",
                "Line 7: an INN or a passport is required",
                "Line 8: invalid birth date '31.02.1980'",
                "Line 9: the passport needs a 4-digit series and a 6-digit number",
                "Line 10: invalid phone '123'",
                "Line 11: the same person appears earlier in the file",
            ],
        )
        self.assertFalse(
            self.env["broker.monitoring.subscription"].search(
                [("source", "=", "import"), ("user_id", "=", self.user_manager.id)]
            )
        )
        wizard.action_import()
        imported = self.env["broker.monitoring.subscription"].search(
            [("source", "=", "import"), ("user_id", "=", self.user_manager.id)], order="id"
        )
        self.assertRecordValues(
            imported,
            [{"subject_ref": "4610123456", "reason": "win_back", "user_id": self.user_manager.id,
              "passport_series": "4610", "inn": False},
             {"subject_ref": "770712345633", "reason": "win_back", "user_id": self.user_manager.id,
              "passport_series": False, "inn": "770712345633"}],
        )  # fmt: skip
        self.assertEqual(imported.partner_id.mapped("name"), ["Ivanov Ivan", "Petrova Anna"])
        self.assertEqual(imported[0].partner_id.phone, "+79001234567")
        self.assertEqual(str(imported[0].birth_date), "1985-04-12")
        self.assertFalse(self.env["res.partner"].search([("name", "in", ["Too Young", "Bad Inn", "No Id"])]))

        # the same file again: everybody is already watched, nothing is written
        partners_before = self.env["res.partner"].search_count([])
        again = self._import_wizard(text, **batch)
        with self.assertRaises(UserError):
            again.action_import()
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)

        # mass-base signals are routed to the inbox without an activity
        self._ingest([make_signal(1, subject="4610123456")])
        signal = self._signals()
        self.assertRecordValues(
            signal, [{"state": "routed", "route_action": "inbox", "subscription_id": imported[0].id}]
        )
        self.assertFalse(self.env["mail.activity"].search([("res_model", "=", imported._name),
                                                          ("res_id", "in", imported.ids)]))  # fmt: skip
        # the broker opens a deal from the signal
        action = signal.with_user(self.user_manager).action_open_deal()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(lead.partner_id, imported[0].partner_id)
        self.assertEqual(imported[0].lead_id, lead)
        self.assertTrue(signal.deal_reopened)

    def test_broken_files_are_refused_whole(self):
        partners_before = self.env["res.partner"].search_count([])
        for text in ("", "phone;inn\n+79001234567;770712345633\n", "name,birth_date\nIvan,1980-01-01\n"):
            with self.assertRaises(UserError):
                self._import_wizard(text).action_validate()
        not_utf8 = (
            self.env["broker.monitoring.import.wizard"]
            .with_user(self.user_manager)
            .create({"file": base64.b64encode(b"\xff\xfe\x00bad"), "reason": "win_back"})
        )
        with self.assertRaises(UserError):
            not_utf8.action_validate()
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertFalse(
            self.env["broker.monitoring.subscription"].search(
                [("source", "=", "import"), ("user_id", "=", self.user_manager.id)]
            )
        )

    def test_agents_cannot_import_a_mass_base(self):
        with self.assertRaises(AccessError):
            self._import_wizard(HEADER, user=self.user_agent)

    def test_invalid_inn_is_refused(self):
        Subscription = self.env["broker.monitoring.subscription"]
        count = Subscription.search_count([])
        with self.assertRaises(ValidationError) as catcher:
            self._subscribe(inn="770712345634")
        self.assertIn("770712345634", str(catcher.exception))
        self.assertEqual(Subscription.search_count([]), count)
        self.assertEqual(self._subscribe(inn="770712345633").inn, "770712345633")
