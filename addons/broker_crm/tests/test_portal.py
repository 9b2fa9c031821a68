import json
import logging
import re
import time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from ..models.broker_lead_document import MAX_DEAL_FILES
from .common import new_broker_user, new_portal_partner_user

_logger = logging.getLogger(__name__)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64
# the deals list must not grow with the number of deals
DEALS_LIST_MAX_QUERIES = 40


@tagged("post_install", "-at_install")
class TestBrokerPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.team = env.ref("broker_crm.crm_team_broker")
        cls.user_leader = mail_new_test_user(
            env, login="portal_test_leader", name="Lev Leader", email="leader@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.team.user_id = cls.user_leader
        cls.stages = {
            s.broker_step: s
            for s in env["crm.stage"].search([("broker_step", "!=", False), ("team_id", "=", cls.team.id)])
        }
        cls.doc_passport = env["broker.document.type"].create({"name": "Passport scan"})
        cls.doc_income = env["broker.document.type"].create({"name": "Income statement"})
        cls.product = env["broker.credit.product"].create(
            {
                "name": "Tour product",
                "code": "TOUR",
                "document_type_ids": [Command.set([cls.doc_passport.id, cls.doc_income.id])],
            }
        )
        cls.company_a = env["res.partner"].create({"name": "Alpha Partners", "is_company": True,
                                                   "is_broker_partner": True})  # fmt: skip
        cls.company_b = env["res.partner"].create({"name": "Bravo Partners", "is_company": True,
                                                   "is_broker_partner": True})  # fmt: skip
        cls.user_a = mail_new_test_user(env, login="portal_alpha", name="Alla Alpha", email="alla@alpha.example",
                                        groups="base.group_portal")  # fmt: skip
        cls.user_a.partner_id.parent_id = cls.company_a
        cls.user_b = mail_new_test_user(env, login="portal_bravo", name="Bob Bravo", email="bob@bravo.example",
                                        groups="base.group_portal")  # fmt: skip
        cls.user_b.partner_id.parent_id = cls.company_b
        cls.deal_a = cls._deal(cls.company_a, "Alpha Client Deal", contact_name="Anton Alphaclient")
        cls.deal_b = cls._deal(cls.company_b, "Bravo Secret Deal", contact_name="Boris Secretclient")
        # end the "request" that created them, so later changes are tracked
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    @classmethod
    def _deal(cls, partner, name, **vals):
        return cls.env["crm.lead"].create(
            {
                "name": name,
                "type": "opportunity",
                "team_id": cls.team.id,
                "stage_id": cls.stages["new"].id,
                "credit_product_id": cls.product.id,
                "amount_requested": 5_000_000,
                "referral_partner_id": partner.id,
                **vals,
            }
        )

    # ------------------------------------------------------------------ helpers
    def _csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _submit(self, data=None, files=None, csrf=True):
        values = {
            "client_type": "company",
            "partner_name": "Gamma Trading LLC",
            "contact_name": "Galina Gamma",
            "phone": "+7 900 123-45-67",
            "email_from": "galina@gamma.example",
            "credit_product_id": str(self.product.id),
            "amount_requested": "3 000 000",
            "consent_mode": "email",
        }
        values.update(data or {})
        values = {k: v for k, v in values.items() if v is not None}
        if csrf:
            values["csrf_token"] = self._csrf("/my/deals/new")
        return self.url_open("/my/deals/new", data=values, files=files, allow_redirects=False)

    def _json(self, url, **params):
        payload = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params})
        return self.url_open(url, data=payload, headers={"Content-Type": "application/json"})

    def _gamma_count(self):
        return (
            self.env["crm.lead"].with_context(active_test=False).search_count([("contact_name", "=", "Galina Gamma")])
        )

    # ------------------------------------------------------------------ access
    def test_portal_wizard_grants_portal_access(self):
        contact = self.env["res.partner"].create(
            {"name": "Dina Delta", "email": "dina@delta.example", "parent_id": self.company_a.id}
        )
        wizard = self.env["portal.wizard"].with_user(self.user_leader).sudo().create({"partner_ids": [contact.id]})
        wizard.user_ids.action_grant_access()
        user = contact.user_ids
        self.assertTrue(user)
        self.assertTrue(user.has_group("base.group_portal"))
        self.assertFalse(user._is_internal())
        # the portal pages are the partner's only window on deals
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(user).search([])

    def test_no_direct_access(self):
        for record in (self.deal_a, self.deal_b, self.deal_a.document_ids):
            with self.subTest(record=record), self.assertRaises(AccessError):
                record.with_user(self.user_a).read(["display_name"])
        with self.assertRaises(AccessError):
            self.deal_a.with_user(self.user_a).write({"amount_requested": 1})
        with self.assertRaises(AccessError):
            self.env["broker.lead.document"].with_user(self.user_a).search([])

    def test_public_user_is_redirected_to_login(self):
        for url in ("/my/deals", "/my/deals/new", f"/my/deals/{self.deal_a.id}"):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (302, 303), url)
            self.assertIn("/web/login", response.headers["Location"], url)

    def test_other_partner_deal_is_not_found(self):
        self.deal_b.message_post(body="Bravo confidential note", message_type="comment",
                                 subtype_xmlid="mail.mt_comment")  # fmt: skip
        self.authenticate("portal_alpha", "portal_alpha")
        for url in (f"/my/deals/{self.deal_b.id}", f"/my/deals/{self.deal_b.id + 100000}"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404)
            self.assertNotIn("Bravo Secret", response.text)
            self.assertNotIn("Secretclient", response.text)
        line_b = self.deal_b.document_ids[0]
        csrf = self._csrf(f"/my/deals/{self.deal_a.id}")
        for url, data in (
            (f"/my/deals/{self.deal_b.id}/range", {"decision": "agreed"}),
            (f"/my/deals/{self.deal_b.id}/message", {"body": "hi"}),
            (f"/my/deals/{self.deal_a.id}/documents/{line_b.id}", {}),
            (f"/my/deals/{self.deal_b.id}/documents/{line_b.id}", {}),
        ):
            response = self.url_open(url, data={"csrf_token": csrf, **data},
                                     files={"files": ("a.pdf", PDF, "application/pdf")})  # fmt: skip
            self.assertEqual(response.status_code, 404, url)
        self.assertFalse(line_b.attachment_ids)
        # the portal chatter JSON does not leak the other partner's messages either
        response = self._json("/mail/chatter_fetch", thread_model="crm.lead", thread_id=self.deal_b.id)
        self.assertNotIn("Bravo confidential", response.text)
        self.assertNotIn("Bravo Secret", response.text)
        response = self._json("/portal/chatter_init", thread_model="crm.lead", thread_id=self.deal_b.id)
        self.assertNotIn("Bravo", response.text)
        counters = self._json("/my/counters", counters=["broker_deal_count"]).json()["result"]
        self.assertEqual(counters["broker_deal_count"], 1)

    def test_non_partner_portal_user_has_no_deal_pages(self):
        mail_new_test_user(self.env, login="portal_customer", groups="base.group_portal")
        self.authenticate("portal_customer", "portal_customer")
        self.assertEqual(self.url_open("/my/deals").status_code, 404)
        self.assertEqual(self.url_open("/my/deals/new").status_code, 404)
        self.assertEqual(self.url_open(f"/my/deals/{self.deal_a.id}").status_code, 404)

    # ------------------------------------------------------------------ list and detail
    def test_deals_list_and_detail(self):
        self.deal_a.message_post(body="Shared with the partner", message_type="comment",
                                 subtype_xmlid="broker_crm.mt_partner_message")  # fmt: skip
        self.deal_a.message_post(body="Dear client, your contract", message_type="comment",
                                 subtype_xmlid="mail.mt_comment")  # fmt: skip
        self.deal_a.stage_id = self.stages["pre_analysis"]
        self.deal_a.flush_recordset()
        self.env.cr.precommit.run()  # write the stage tracking
        self.authenticate("portal_alpha", "portal_alpha")
        response = self.url_open("/my/deals")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Anton Alphaclient", response.text)
        self.assertIn("Pre-Analysis", response.text)
        self.assertNotIn("Secretclient", response.text)
        self.assertIn("Upload 2 missing document(s)", response.text)
        # search and sort
        self.assertIn("Anton Alphaclient", self.url_open("/my/deals?search=Alphacl&sortby=client").text)
        self.assertNotIn("Anton Alphaclient", self.url_open("/my/deals?search=nothing-like-this").text)
        self.assertIn("Anton Alphaclient", self.url_open("/my/deals?filterby=action&sortby=amount").text)

        response = self.url_open(f"/my/deals/{self.deal_a.id}")
        self.assertEqual(response.status_code, 200)
        text = response.text
        self.assertIn("o_broker_stage_history", text)
        self.assertIn("New Request", text)  # stage history: from "new" ...
        self.assertIn("Pre-Analysis", text)  # ... to pre-analysis
        self.assertIn("Passport scan", text)
        self.assertIn("Income statement", text)
        self.assertIn('id="discussion"', text)
        # the message shared with the partner is on the page, the e-mail to the client is not
        self.assertIn("Shared with the partner", text)
        self.assertNotIn("Dear client", text)

    def test_lost_deal_stays_visible(self):
        self.deal_a.action_archive()
        self.authenticate("portal_alpha", "portal_alpha")
        self.assertIn("Anton Alphaclient", self.url_open("/my/deals").text)
        self.assertNotIn("Anton Alphaclient", self.url_open("/my/deals?filterby=open").text)
        response = self.url_open(f"/my/deals/{self.deal_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Lost", response.text)
        self.assertEqual(self.url_open(f"/my/deals/{self.deal_b.id}").status_code, 404)

    def test_partner_writes_a_message(self):
        self.authenticate("portal_alpha", "portal_alpha")
        csrf = self._csrf(f"/my/deals/{self.deal_a.id}")
        response = self.url_open(f"/my/deals/{self.deal_a.id}/message",
                                 data={"csrf_token": csrf, "body": "Client is ready"})  # fmt: skip
        self.assertEqual(response.status_code, 200)
        message = self.deal_a.message_ids.filtered(lambda m: "Client is ready" in m.body)
        self.assertEqual(message.author_id, self.user_a.partner_id)
        self.assertEqual(message.subtype_id, self.env.ref("broker_crm.mt_partner_message"))
        self.assertIn("Client is ready", response.text)

    # ------------------------------------------------------------------ submit
    def test_submit_client(self):
        self.authenticate("portal_alpha", "portal_alpha")
        response = self._submit(files=[("documents", ("statement.pdf", PDF, "application/pdf")),
                                       ("documents", ("photo.png", PNG, "image/png"))])  # fmt: skip
        self.assertEqual(response.status_code, 303, response.text[:1000])
        deal = self.env["crm.lead"].search([("contact_name", "=", "Galina Gamma")])
        self.assertEqual(len(deal), 1)
        self.assertIn(f"/my/deals/{deal.id}", response.headers["Location"])
        self.assertEqual(deal.referral_partner_id, self.user_a.partner_id)
        self.assertEqual(deal.stage_id.broker_step, "new")
        self.assertEqual(deal.team_id, self.team)
        self.assertEqual(deal.partner_name, "Gamma Trading LLC")
        self.assertEqual(deal.amount_requested, 3_000_000)
        self.assertEqual(deal.credit_product_id, self.product)
        self.assertEqual(len(deal.document_ids), 2)
        attachments = self.env["ir.attachment"].search([("res_model", "=", "crm.lead"), ("res_id", "=", deal.id)])
        self.assertEqual(sorted(attachments.mapped("name")), ["photo.png", "statement.pdf"])
        self.assertEqual(deal.activity_ids.user_id, self.user_leader, "the team leader is notified")
        # the partner sees it on the portal, the other partner does not
        self.assertIn("Gamma Trading LLC", self.url_open("/my/deals").text)
        page = self.url_open(response.headers["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertIn("Gamma Trading LLC", page.text)

    def test_submit_invalid_input_creates_nothing(self):
        self.authenticate("portal_alpha", "portal_alpha")
        cases = [
            ({"contact_name": "", "partner_name": ""}, None, "Enter the client"),
            ({"amount_requested": "0"}, None, "must be above zero"),
            ({"amount_requested": "-5"}, None, "must be above zero"),
            ({"amount_requested": "lots"}, None, "as a number"),
            ({"credit_product_id": "999999"}, None, "Choose a credit product"),
            ({"consent_mode": None}, None, "signed consent or send the client a confirmation link"),
            ({"phone": "12", "email_from": ""}, None, "10 to 15 digits"),
            ({"email_from": "not-an-email"}, None, "not valid"),
            ({}, [("documents", ("setup.exe", EXE, "application/octet-stream"))], "not accepted"),
            ({}, [("documents", ("invoice.pdf", EXE, "application/pdf"))], "looks like a program"),
            ({}, [("documents", ("fake.png", PDF, "image/png"))], "does not match"),
            ({}, [("documents", ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf"))], "too large"),
        ]
        for data, files, error in cases:
            with self.subTest(data=data, files=files and files[0][1][0]):
                response = self._submit(data, files)
                self.assertEqual(response.status_code, 400)
                self.assertIn(error, response.text)
                self.assertIn("invalid-feedback", response.text)
                self.assertEqual(self._gamma_count(), 0)
        # without or with a wrong CSRF token
        response = self._submit(csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self._submit({"csrf_token": "forged"}, csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._gamma_count(), 0)

    # ------------------------------------------------------------------ documents
    def test_upload_into_checklist(self):
        line = self.deal_a.document_ids.filtered(lambda d: d.document_type_id == self.doc_passport)
        self.authenticate("portal_alpha", "portal_alpha")
        url = f"/my/deals/{self.deal_a.id}/documents/{line.id}"
        csrf = self._csrf(f"/my/deals/{self.deal_a.id}")
        response = self.url_open(url, data={"csrf_token": csrf},
                                 files={"files": ("virus.exe", EXE, "application/pdf")})  # fmt: skip
        self.assertEqual(response.status_code, 400)
        self.assertIn("not accepted", response.text)
        self.assertEqual(line.state, "missing")
        response = self.url_open(url, data={}, files={"files": ("passport.pdf", PDF, "application/pdf")})
        self.assertEqual(response.status_code, 400, "no CSRF token")
        self.assertEqual(line.state, "missing")
        response = self.url_open(url, data={"csrf_token": csrf},
                                 files={"files": ("passport.pdf", PDF, "application/pdf")})  # fmt: skip
        self.assertEqual(response.status_code, 200)
        self.assertIn("The files are uploaded", response.text)
        line.invalidate_recordset()
        self.assertEqual(line.state, "received")
        self.assertEqual(line.attachment_ids.name, "passport.pdf")
        self.assertEqual(line.attachment_ids.res_id, self.deal_a.id)
        self.assertEqual(self.deal_a.missing_document_count, 1)

    # ------------------------------------------------------------------ range agreement
    def test_range_agreement(self):
        self.deal_a.write({"amount_from": 4_000_000, "amount_to": 6_000_000, "range_agreement": "pending"})
        self.deal_b.write({"amount_from": 4_000_000, "amount_to": 6_000_000, "range_agreement": "pending"})
        self.env.cr.precommit.run()
        self.authenticate("portal_alpha", "portal_alpha")
        page = self.url_open(f"/my/deals/{self.deal_a.id}")
        self.assertIn("The client agrees", page.text)
        csrf = self._csrf(f"/my/deals/{self.deal_a.id}")
        url = f"/my/deals/{self.deal_a.id}/range"
        response = self.url_open(url, data={"csrf_token": csrf, "decision": "declined"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("Tell us why", response.text)
        self.assertEqual(self.deal_a.range_agreement, "pending")
        response = self.url_open(url, data={"csrf_token": csrf, "decision": "agreed", "comment": "OK from 4M"})
        self.assertEqual(response.status_code, 200)
        self.deal_a.invalidate_recordset()
        self.assertEqual(self.deal_a.range_agreement, "agreed")
        self.assertEqual(self.deal_a.range_agreement_note, "OK from 4M")
        self.env.cr.precommit.run()
        tracked = (
            self.env["mail.tracking.value"]
            .search([("mail_message_id.model", "=", "crm.lead"), ("mail_message_id.res_id", "=", self.deal_a.id)])
            .field_id.mapped("name")
        )
        self.assertIn("range_agreement", tracked)
        self.assertIn("range_agreement_note", tracked)
        # decided: no second answer
        response = self.url_open(url, data={"csrf_token": csrf, "decision": "declined", "comment": "no"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.deal_b.range_agreement, "pending")

    def test_range_comment_is_plain_text_in_the_activity(self):
        self.deal_a.write({"amount_from": 4_000_000, "amount_to": 6_000_000, "range_agreement": "pending"})
        self.env.cr.precommit.run()
        self.authenticate("portal_alpha", "portal_alpha")
        csrf = self._csrf(f"/my/deals/{self.deal_a.id}")
        comment = '<a href="https://evil.example">rate</a>'
        data = {"csrf_token": csrf, "decision": "declined", "comment": comment}
        response = self.url_open(f"/my/deals/{self.deal_a.id}/range", data=data)
        self.assertEqual(response.status_code, 200)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", self.deal_a.id), ("summary", "ilike", "range")]
        )
        self.assertEqual(len(activity), 1)
        self.assertNotIn("<a ", activity.note)
        self.assertIn("&lt;a href=", activity.note)

    # ------------------------------------------------------------------ performance
    def _deals_list_queries(self, url):
        for _i in range(2):  # warm the caches
            self.url_open(url)
        nested_profiler = self.profile(collectors=["sql"], db=False)
        with nested_profiler:
            start = time.time()
            response = self.url_open(url)
            elapsed = time.time() - start
        self.assertEqual(response.status_code, 200)
        profiler = nested_profiler.profiler
        self.assertEqual(len(profiler.sub_profilers), 1)
        entries = [entry for sub in profiler.sub_profilers for entry in sub.collectors[0].entries]
        return len(entries), elapsed

    def test_deals_list_query_count(self):
        Lead = self.env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True)
        values = {
            "type": "opportunity",
            "team_id": self.team.id,
            "stage_id": self.stages["documents"].id,
            "amount_requested": 1_000_000,
            "amount_from": 900_000,
            "amount_to": 1_200_000,
            "referral_partner_id": self.company_a.id,
        }
        Lead.create([{**values, "name": f"Perf deal {i}", "contact_name": f"Client {i}"} for i in range(9)])
        self.authenticate("portal_alpha", "portal_alpha")
        small, small_time = self._deals_list_queries("/my/deals")
        Lead.create([{**values, "name": f"Perf deal {i}", "contact_name": f"Client {i}"} for i in range(9, 999)])
        self.assertEqual(self.env["crm.lead"].search_count([("referral_partner_id", "=", self.company_a.id)]), 1000)
        big, big_time = self._deals_list_queries("/my/deals")
        _logger.info("broker portal /my/deals: 10 deals %s queries %.0f ms; 1000 deals %s queries %.0f ms",
                     small, small_time * 1000, big, big_time * 1000)  # fmt: skip
        self.assertEqual(big, small, "the deals list must not run more queries for more deals")
        self.assertLessEqual(big, DEALS_LIST_MAX_QUERIES)
        big_page, _t = self._deals_list_queries("/my/deals/page/40?sortby=client")
        self.assertLessEqual(big_page, DEALS_LIST_MAX_QUERIES)

    # ------------------------------------------------------------------ browser
    def test_submit_tour(self):
        self.start_tour("/my/deals/new", "broker_portal_submit_tour", login="portal_alpha")
        deal = self.env["crm.lead"].search([("partner_name", "=", "Tour Client LLC")])
        self.assertEqual(len(deal), 1)
        self.assertEqual(deal.referral_partner_id, self.user_a.partner_id)
        self.assertEqual(deal.amount_requested, 2_500_000)

    def test_upload_over_the_deal_quota(self):
        line = self.deal_a.document_ids.filtered(lambda d: d.document_type_id == self.doc_passport)
        self.env["ir.attachment"].create(
            [{"name": f"f{i}.pdf", "raw": PDF, "res_model": "crm.lead", "res_id": self.deal_a.id}
             for i in range(MAX_DEAL_FILES)]
        )  # fmt: skip
        self.authenticate("portal_alpha", "portal_alpha")
        csrf = self._csrf(f"/my/deals/{self.deal_a.id}")
        response = self.url_open(f"/my/deals/{self.deal_a.id}/documents/{line.id}", data={"csrf_token": csrf},
                                 files={"files": ("passport.pdf", PDF, "application/pdf")})  # fmt: skip
        self.assertEqual(response.status_code, 400)
        self.assertIn(f"at most {MAX_DEAL_FILES} files", response.text)
        self.assertFalse(line.attachment_ids)


@tagged("post_install", "-at_install")
class TestBrokerPortalInstalledData(HttpCase):
    """The partner portal on the data as installed: the team has no leader yet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env.ref("broker_crm.crm_team_broker")
        # a database installed without demo data has no team leader (the demo office names one)
        cls.team.user_id = False
        cls.manager = new_broker_user(cls.env, "pid_manager", "manager")
        cls.partner = cls.env["res.partner"].create({"name": "Delta Referrals", "is_company": True,
                                                     "is_broker_partner": True})  # fmt: skip
        cls.portal_user = new_portal_partner_user(cls.env, "pid_delta", cls.partner)
        cls.portal_user.password = "pid_delta_pw1"
        cls.portal_login = cls.portal_user.login
        cls.product = cls.env["broker.credit.product"].search([], limit=1)

    def test_first_submission_without_team_leader(self):
        self.assertFalse(self.team.user_id, "installed without a team leader")
        self.authenticate(self.portal_login, "pid_delta_pw1")
        page = self.url_open("/my/deals/new")
        self.assertEqual(page.status_code, 200)
        # the comment field is on the form
        self.assertRegex(page.text, r'<textarea[^>]*name="description"')
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open("/my/deals/new", allow_redirects=False, data={
            "csrf_token": csrf, "client_type": "individual", "contact_name": "Olga Firstclient",
            "phone": "+7 900 765-43-21", "credit_product_id": str(self.product.id), "amount_requested": "250000",
            "consent_mode": "file", "description": "Call after 6 pm, <b>please</b>",
        }, files={"consent_file": ("consent.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})  # fmt: skip
        self.assertEqual(response.status_code, 303, response.text[:500])
        deal = self.env["crm.lead"].search([("contact_name", "=", "Olga Firstclient")])
        self.assertEqual(len(deal), 1)
        self.assertIn("Call after 6 pm, &lt;b&gt;please&lt;/b&gt;", deal.description)
        responsible = deal.activity_ids.user_id
        self.assertEqual(len(responsible), 1)
        self.assertTrue(responsible.has_group("broker_crm.group_broker_manager"))
        self.assertFalse(responsible._is_superuser())
