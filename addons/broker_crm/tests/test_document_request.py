import json
import re
from datetime import date, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import BrokerCrmCommon, new_portal_partner_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64


@tagged("post_install", "-at_install")
class TestDocumentRequest(BrokerCrmCommon, HttpCase):
    """Requests for more documents: from the executor to the referral partner (portal) and the client (e-mail)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.doc_statement = env["broker.document.type"].create({"name": "Bank statement"})
        cls.company_a = env["res.partner"].create(
            {"name": "Alpha Referrals", "is_company": True, "is_broker_partner": True}
        )
        cls.company_b = env["res.partner"].create(
            {"name": "Bravo Referrals", "is_company": True, "is_broker_partner": True}
        )
        cls.portal_a = new_portal_partner_user(env, "dr_alpha", cls.company_a)
        cls.portal_b = new_portal_partner_user(env, "dr_bravo", cls.company_b)
        for user in (cls.portal_a, cls.portal_b):
            user.password = f"{user.login}_pw1"
        cls.deal = cls._deal()
        cls.subtype = env.ref("broker_crm.mt_partner_message")
        cls.Request = env["broker.document.request"]

    @classmethod
    def _deal(cls, **vals):
        # created by the administrator: the referral partner is a manager's field
        deal = cls.env["crm.lead"].create(
            {
                "name": "Request deal",
                "type": "opportunity",
                "team_id": cls.team.id,
                "contact_name": "Ivan Petrov",
                "email_from": "ivan@client.example",
                "credit_product_id": cls.product.id,
                "amount_requested": 5_000_000,
                "user_id": cls.user_agent.id,
                "referral_partner_id": cls.company_a.id,
                **vals,
            }
        )
        cls._end_request()
        return deal

    def _request(self, user=None, deal=None, types=None, **vals):
        values = {
            "lead_id": (deal or self.deal).id,
            "document_type_ids": [Command.set((types or (self.doc_passport | self.doc_statement)).ids)],
            "date_due": fields.Date.context_today(self.Request) + timedelta(days=7),
            "note": "Statements for the last 6 months",
        }
        values.update(vals)
        return self.Request.with_user(user or self.user_agent).create(values)

    def _mails(self, requests):
        return self.env["mail.mail"].search([("model", "=", requests._name), ("res_id", "in", requests.ids)])

    def _checklist_line(self, doc_type, deal=None):
        return (deal or self.deal).document_ids.filtered(lambda line: line.document_type_id == doc_type)

    # ------------------------------------------------------------------ creation
    def test_executor_requests_documents(self):
        self.assertEqual(self.deal.executor_id, self.user_agent)
        self.assertFalse(self._checklist_line(self.doc_statement))
        doc_request = self._request()
        self.assertEqual(doc_request.state, "open")
        self.assertEqual(doc_request.user_id, self.user_agent)
        self.assertEqual(doc_request.executor_id, self.user_agent)
        self.assertEqual(doc_request.line_ids.document_type_id, self.doc_passport | self.doc_statement)
        self.assertFalse(any(doc_request.line_ids.mapped("done")))
        # a document missing from the checklist joins it, and each line points at its checklist line
        statement_line = self._checklist_line(self.doc_statement)
        self.assertEqual(statement_line.state, "missing")
        self.assertEqual(doc_request.line_ids.document_id, self._checklist_line(self.doc_passport) | statement_line)
        # the referral partner is told through the partner conversation
        message = self.deal.message_ids.filtered(lambda m: m.subtype_id == self.subtype)
        self.assertEqual(len(message), 1)
        self.assertIn("Passport", message.body)
        self.assertIn("Bank statement", message.body)
        self.assertIn("Statements for the last 6 months", message.body)
        self.assertNotIn("ivan@client.example", message.body)
        # the client gets the list by e-mail
        mail = self._mails(doc_request)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.email_to, "ivan@client.example")
        self.assertEqual(mail.state, "outgoing")
        for text in ("Passport", "Bank statement", "Statements for the last 6 months"):
            self.assertIn(text, mail.body_html)

    def test_no_client_email(self):
        deal = self._deal(email_from=False)
        doc_request = self._request(deal=deal, types=self.doc_income)
        self.assertFalse(self._mails(doc_request))
        self.assertEqual(doc_request.state, "open")
        note = deal.message_ids.filtered(lambda m: "was not e-mailed to the client" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))

    def test_refusals_write_nothing(self):
        messages = len(self.deal.message_ids)
        checklist = self.deal.document_ids
        cases = {
            "no documents": {"document_type_ids": []},
            "empty set": {"document_type_ids": [Command.set([])]},
            "past due date": {"date_due": fields.Date.context_today(self.Request) - timedelta(days=1)},
        }
        for case, vals in cases.items():
            with self.subTest(case=case), self.assertRaises(UserError):
                self._request(**vals)
        self.assertFalse(self.Request.search([("lead_id", "=", self.deal.id)]))
        self.deal.invalidate_recordset()
        self.assertEqual(len(self.deal.message_ids), messages)
        self.assertEqual(self.deal.document_ids, checklist)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "broker.document.request")]))
        # a due date moved into the past is refused too
        doc_request = self._request()
        with self.assertRaises(UserError):
            doc_request.with_user(self.user_agent).date_due = date(2000, 1, 1)

    # ------------------------------------------------------------------ closing
    def test_closes_when_every_document_is_uploaded(self):
        passport = self._checklist_line(self.doc_passport)
        passport._attach_files([("old-passport.pdf", PDF)])
        doc_request = self._request()
        # files already there do not answer the request: it waits for new ones
        self.assertFalse(any(doc_request.line_ids.mapped("done")))
        # backend: an agent links a file of the deal to the checklist line
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.user_agent)
            .create({"name": "passport.pdf", "raw": PDF, "res_model": "crm.lead", "res_id": self.deal.id})
        )
        passport.with_user(self.user_agent).write({"attachment_ids": [Command.link(attachment.id)]})
        self.assertEqual(
            doc_request.line_ids.filtered("done").document_type_id, self.doc_passport, "only the uploaded one is done"
        )
        self.assertEqual(doc_request.state, "open")
        self.assertFalse(doc_request.date_done)
        self._checklist_line(self.doc_statement).with_user(self.user_agent)._attach_files([("statement.pdf", PDF)])
        self.assertEqual(doc_request.state, "done")
        self.assertTrue(doc_request.date_done)
        note = self.deal.message_ids.filtered(lambda m: "is complete" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        # a later request for the same document waits for a new file again
        later = self._request(types=self.doc_passport)
        self.assertEqual(later.state, "open")
        self.assertFalse(later.line_ids.done)

    def test_cancel_instead_of_delete(self):
        doc_request = self._request()
        with self.assertRaises(AccessError):
            doc_request.with_user(self.user_agent).unlink()
        with self.assertRaises(UserError):
            doc_request.with_user(self.user_manager).unlink()
        with self.assertRaises(UserError):
            doc_request.line_ids.with_user(self.user_manager).unlink()
        self.assertTrue(doc_request.line_ids.exists())
        doc_request.with_user(self.user_agent).action_cancel()
        self.assertEqual(doc_request.state, "cancelled")
        # files arriving later do not reopen or close a cancelled request
        self._checklist_line(self.doc_passport)._attach_files([("passport.pdf", PDF)])
        self.assertEqual(doc_request.state, "cancelled")
        self.assertFalse(doc_request.line_ids.filtered("done"))

    # ------------------------------------------------------------------ escalation
    def test_overdue_request_escalates_to_executor_once(self):
        self.deal.executor_id = self.user_leader
        activity_type = self.env.ref("broker_crm.mail_activity_type_credit_support")
        with freeze_time("2026-11-20 09:00:00"):
            overdue = self._request(date_due=date(2026, 11, 23))
            on_time = self._request(types=self.doc_income, date_due=date(2026, 11, 30))
            cancelled = self._request(types=self.doc_income | self.doc_passport, date_due=date(2026, 11, 21))
            cancelled.action_cancel()
        with freeze_time("2026-11-25 07:00:00"):
            self.Request._cron_document_requests()
            self.Request._cron_document_requests()
        activities = self.deal.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.user_leader)
        self.assertIn(overdue.display_name, activities.summary)
        self.assertIn("Passport", activities.summary)
        self.assertTrue(overdue.escalated)
        self.assertFalse(on_time.escalated)
        self.assertFalse(cancelled.escalated)
        # a new due date gives the request a new chance, and a new escalation when missed
        with freeze_time("2026-11-25 08:00:00"):
            overdue.with_user(self.user_leader).date_due = date(2026, 11, 27)
        self.assertFalse(overdue.escalated)

    # ------------------------------------------------------------------ access
    def test_access_follows_the_deal(self):
        doc_request = self._request()
        other = self.Request.with_user(self.user_agent2)
        self.assertFalse(other.search([("id", "=", doc_request.id)]))
        self.assertFalse(self.env["broker.document.request.line"].with_user(self.user_agent2).search([]))
        with self.assertRaises(AccessError):
            doc_request.with_user(self.user_agent2).read(["date_due"])
        with self.assertRaises(AccessError):
            self._request(user=self.user_agent2)
        for user in (self.user_manager, self.user_leader, self.user_accountant):
            with self.subTest(user=user.login):
                self.assertEqual(self.Request.with_user(user).search([("id", "=", doc_request.id)]), doc_request)
        with self.assertRaises(AccessError):
            doc_request.with_user(self.user_accountant).write({"note": "x"})
        doc_request.with_user(self.user_manager).write({"note": "Updated by the manager"})

    # ------------------------------------------------------------------ portal
    def _csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _upload(self, deal, line, csrf, name="scan.pdf", raw=PDF):
        return self.url_open(
            f"/my/deals/{deal.id}/requests/{line.id}",
            data={"csrf_token": csrf},
            files={"files": (name, raw, "application/pdf")},
        )

    def test_portal_partner_uploads_into_the_request(self):
        doc_request = self._request()
        passport, statement = (
            doc_request.line_ids.filtered(lambda line, t=doc_type: line.document_type_id == t)
            for doc_type in (self.doc_passport, self.doc_statement)
        )
        self.authenticate(self.portal_a.login, f"{self.portal_a.login}_pw1")
        page = self.url_open(f"/my/deals/{self.deal.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f'data-request-id="{doc_request.id}"', page.text)
        self.assertIn("Statements for the last 6 months", page.text)
        self.assertIn(f"/my/deals/{self.deal.id}/requests/{statement.id}", page.text)
        self.assertNotIn("ivan@client.example", page.text)
        csrf = self._csrf(f"/my/deals/{self.deal.id}")
        # a refused file: the page again with the error, nothing written
        response = self._upload(self.deal, passport, csrf, "virus.pdf", EXE)
        self.assertEqual(response.status_code, 400)
        self.assertIn("not accepted", response.text)
        self.assertFalse(self._checklist_line(self.doc_passport).attachment_ids)
        # no CSRF token, no upload
        response = self.url_open(
            f"/my/deals/{self.deal.id}/requests/{passport.id}", data={}, files={"files": ("a.pdf", PDF)}
        )
        self.assertEqual(response.status_code, 400)
        response = self._upload(self.deal, passport, csrf, "passport.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertIn("The files are uploaded", response.text)
        doc_request.invalidate_recordset()
        doc_request.line_ids.invalidate_recordset()
        self.assertTrue(passport.done)
        self.assertEqual(doc_request.state, "open")
        self.assertEqual(self._checklist_line(self.doc_passport).attachment_ids.name, "passport.pdf")
        self.assertEqual(self._checklist_line(self.doc_passport).attachment_ids.res_id, self.deal.id)
        response = self._upload(self.deal, statement, csrf, "statement.pdf")
        self.assertEqual(response.status_code, 200)
        doc_request.invalidate_recordset()
        self.assertEqual(doc_request.state, "done")
        self.assertNotIn(f'data-request-id="{doc_request.id}"', response.text, "a done request leaves the page")
        # the request is closed: its lines take no more uploads
        self.assertEqual(self._upload(self.deal, statement, csrf).status_code, 404)

    def test_portal_other_partner_gets_not_found(self):
        doc_request = self._request()
        line = doc_request.line_ids[0]
        other_deal = self._deal(referral_partner_id=self.company_b.id)
        self.authenticate(self.portal_b.login, f"{self.portal_b.login}_pw1")
        csrf = self._csrf(f"/my/deals/{other_deal.id}")
        page = self.url_open(f"/my/deals/{self.deal.id}")
        self.assertEqual(page.status_code, 404)
        self.assertNotIn(doc_request.display_name, page.text)
        for deal in (self.deal, other_deal):
            with self.subTest(deal=deal.id):
                self.assertEqual(self._upload(deal, line, csrf).status_code, 404)
        self.assertFalse(line.done)
        self.assertFalse(self._checklist_line(line.document_type_id).attachment_ids)

    @mute_logger("odoo.http")
    def test_portal_user_has_no_rpc_access(self):
        doc_request = self._request()
        self.authenticate(self.portal_a.login, f"{self.portal_a.login}_pw1")
        for model, ids in (
            ("broker.document.request", doc_request.ids),
            ("broker.document.request.line", doc_request.line_ids.ids),
        ):
            for method, args in (
                ("read", [ids, ["display_name"]]),
                ("search_read", [[("id", "in", ids)], ["display_name"]]),
                ("write", [ids, {"note": "x"}]),
                ("create", [{"lead_id": self.deal.id}]),
            ):
                with self.subTest(model=model, method=method):
                    payload = json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "method": "call",
                            "id": 1,
                            "params": {"model": model, "method": method, "args": args, "kwargs": {}},
                        }
                    )
                    response = self.url_open(
                        f"/web/dataset/call_kw/{model}/{method}",
                        data=payload,
                        headers={"Content-Type": "application/json"},
                    )
                    data = response.json()
                    self.assertIn("error", data, str(data)[:300])
                    self.assertEqual(data["error"]["data"]["name"], "odoo.exceptions.AccessError")
                    self.assertNotIn("Statements for the last", response.text)
        self.assertEqual(doc_request.note, "Statements for the last 6 months")
