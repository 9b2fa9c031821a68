import base64

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestDealFlow(BrokerCrmCommon):
    def _move(self, lead, step):
        lead.write({"stage_id": self.stages[step].id})
        self.assertEqual(lead.broker_step, step)

    def test_full_partner_process(self):
        """From the first call to the issued credit, as the agent who owns the deal."""
        lead = self._new_deal()
        self.assertEqual(lead.broker_step, "new", "new broker deals start in the first broker stage")
        self.assertEqual(lead.executor_id, self.user_agent, "the owner executes the deal until handed over")
        # checklists come from the product
        self.assertEqual(len(lead.criterion_ids), 2)
        self.assertEqual(lead.document_ids.document_type_id, self.doc_passport | self.doc_income)
        self.assertEqual(lead.missing_document_count, 2)
        self.assertEqual((lead.fee_percent, lead.fee_fixed), (2.0, 10000))

        # pre-analysis: criteria pass, a stop-factor is found and then resolved
        self._move(lead, "pre_analysis")
        lead.criterion_ids.write({"result": "pass"})
        lead.write({"stop_factor_ids": [(0, 0, {"stop_factor_id": self.stop_overdue.id})]})
        with self.assertRaisesMessage(UserError, "Current overdue"):
            self._move(lead, "documents")
        lead.stop_factor_ids.resolved = True
        # the documents step needs the client's consent and the documents themselves
        with self.assertRaisesMessage(UserError, "consent of the client.*\n.*every document"):
            self._move(lead, "documents")
        self._give_pd_consent(lead)

        # documents uploaded into the checklist, analysis clock started
        for line in lead.document_ids:
            line._attach_files([(f"{line.document_type_id.name}.pdf", b"%PDF-1.4 test", "application/pdf")])
        self.assertEqual(lead.missing_document_count, 0)
        self._move(lead, "documents")
        self.assertTrue(all(att.res_model == "crm.lead" and att.res_id == lead.id
                            for att in lead.document_ids.attachment_ids))  # fmt: skip
        lead.action_submit_documents()
        self.assertTrue(lead.analysis_deadline > lead.date_docs_submitted)

        # range offered below the requested amount: must be agreed with the client
        lead.write({"amount_from": 4_000_000, "amount_to": 6_000_000})
        lead.action_set_range_given()
        self.assertTrue(lead.range_needs_agreement)
        self._move(lead, "range_offered")
        lead.write({"range_agreement": "agreed", "range_agreement_note": "Client accepts 4M"})
        self._move(lead, "range_agreed")

        # contract data and contract
        self._move(lead, "contract_data")
        lead.write({
            "partner_name": "Petrov IP",
            "client_inn": "500100732259",
            "client_ogrn": "304500116000157",
            "contract_number": "BR-1",
        })  # fmt: skip
        self._move(lead, "contract")
        action = lead.action_send_contract()
        composer = Form(self.env[action["res_model"]].with_user(self.user_agent).with_context(**action["context"]))
        composer.save().action_send_mail()
        self.assertEqual(lead.contract_state, "sent")
        message = lead.message_ids.filtered(lambda m: m.attachment_ids)[:1]
        # (tests render reports as HTML; TestContractPdf renders the real PDF)
        self.assertTrue(message.attachment_ids.filtered(lambda a: a.name.startswith("Contract BR-1")))
        lead.write({"contract_signed_scan": base64.b64encode(b"%PDF signed"), "contract_signed_scan_name": "s.pdf"})
        lead.action_mark_contract_signed()
        self.assertEqual(lead.contract_state, "signed")

        # credit support: bank applications
        self._move(lead, "credit_support")
        bank = self.env["res.bank"].create({"name": "Test Bank"})
        lead.write({"bank_application_ids": [(0, 0, {"bank_id": bank.id, "state": "submitted"})]})
        self.assertTrue(lead.bank_submitted)
        with self.assertRaisesMessage(UserError, "an approved bank application"):
            self._move(lead, "credit_approved")
        lead.bank_application_ids.write({"state": "approved", "amount_approved": 4_500_000})
        self._move(lead, "credit_approved")
        lead.write({"amount_approved": 4_500_000, "date_approved": "2026-11-20"})
        with self.assertRaisesMessage(UserError, "issued amount and the date of issue"):
            self._move(lead, "credit_issued")
        # the issued amount drives the invoice: a manager confirms it
        lead.with_user(self.user_manager).write({"amount_issued": 4_500_000, "date_issued": "2026-11-23"})
        self._move(lead, "credit_issued")
        self.assertEqual(lead.probability, 100, "an issued credit is a won deal")

        tracked = self._tracking_values(lead).field_id.mapped("name")
        for fname in ("stage_id", "amount_from", "amount_to", "client_inn", "contract_state", "amount_issued"):
            self.assertIn(fname, tracked, f"{fname} changes are tracked in the chatter")

    def test_stage_checks_use_step_not_name(self):
        lead = self._new_deal(stop_factor_ids=[(0, 0, {"stop_factor_id": self.stop_overdue.id})])
        self.stages["documents"].name = "Анализ документов (переименован)"
        with self.assertRaises(UserError):
            self._move(lead, "documents")
        self._move(lead, "pre_analysis")  # moving within the pre-analysis is fine

    def test_bad_amounts_rejected_and_nothing_written(self):
        lead = self._new_deal(amount_from=1_000_000, amount_to=2_000_000)
        cases = [
            ({"amount_from": 3_000_000}, "cannot exceed"),
            ({"amount_to": -5}, "negative"),
            ({"amount_requested": -1}, "negative"),
            ({"amount_from": 0}, "both amounts"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesMessage(ValidationError, message):
                lead.write(vals)
            lead.invalidate_recordset()
            self.assertEqual((lead.amount_from, lead.amount_to, lead.amount_requested), (1e6, 2e6, 5e6))

        count = self.env["crm.lead"].search_count([])
        with self.assertRaisesMessage(ValidationError, "cannot exceed"):
            self._new_deal(amount_from=10, amount_to=5)
        self.assertEqual(self.env["crm.lead"].search_count([]), count)

    def test_bad_requisites_rejected(self):
        lead = self._new_deal()
        cases = [
            ({"client_inn": "7707083894"}, "INN 7707083894 is not valid"),
            ({"client_inn": "12345"}, "INN 12345 is not valid"),
            ({"client_ogrn": "1027700132196"}, "OGRN"),
            ({"email_from": "not-an-email"}, "e-mail address not-an-email"),
            ({"phone": "12-34"}, "phone number"),
            ({"passport_series": "45A1"}, "series"),
            ({"passport_division_code": "770001"}, "division code"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesMessage(ValidationError, message):
                lead.write(vals)
        lead.invalidate_recordset()
        self.assertFalse(lead.client_inn)
        self.assertEqual(lead.email_from, "ivan@example.com")
        # valid ones pass
        lead.write({"client_inn": "7707083893", "client_ogrn": "1027700132195", "passport_series": "4510",
                    "passport_number": "123456", "passport_division_code": "770-001"})  # fmt: skip

    def test_executor_handover_notifies_and_tracks(self):
        lead = self._new_deal()
        # keep the e-mail in the queue to read it
        lead.with_user(self.user_agent).with_context(mail_notify_force_send=False).write(
            {"executor_id": self.user_manager.id}
        )
        activity = lead.activity_ids.filtered(lambda a: a.user_id == self.user_manager)
        self.assertEqual(activity.activity_type_id, self.env.ref("broker_crm.mail_activity_type_handover"))
        notification = self.env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "=", lead.id),
             ("partner_ids", "in", self.user_manager.partner_id.ids)]
        )  # fmt: skip
        self.assertTrue(notification, "the new executor is notified")
        mail = self.env["mail.mail"].search([("mail_message_id", "in", notification.ids)])
        self.assertIn(f"/mail/view?model=crm.lead&amp;res_id={lead.id}", mail.body_html)
        self.assertIn(self.user_manager.partner_id, lead.message_partner_ids, "the executor follows the deal")
        tracking = self._tracking_values(lead).filtered(lambda t: t.field_id.name == "executor_id")
        self.assertEqual(tracking.new_value_char, self.user_manager.name)
        # the executor now sees and works the deal even though the agent owns it
        lead.with_user(self.user_manager).write({"description": "contract signed by the director"})

    def test_contract_renders_requisites(self):
        lead = self._new_deal(
            partner_name="Stroymontazh LLC", client_inn="7707083893", client_ogrn="1027700132195",
            contract_number="BR-77", amount_from=4_000_000, amount_to=6_000_000,
        )  # fmt: skip
        html, _fmt = self.env["ir.actions.report"]._render_qweb_html(
            "broker_crm.action_report_broker_contract", lead.ids
        )
        html = html.decode()
        for text in ("BR-77", "Stroymontazh LLC", "7707083893", "1027700132195", "ivan@example.com"):
            self.assertIn(text, html)

    def test_send_contract_requires_requisites(self):
        lead = self._new_deal(email_from=False)
        with self.assertRaisesMessage(UserError, "e-mail"):
            lead.action_send_contract()
        with self.assertRaisesMessage(UserError, "EDO"):
            lead.action_mark_contract_sent_edo()
        self.assertEqual(lead.contract_state, "draft")
