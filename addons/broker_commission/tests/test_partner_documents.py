"""The partner's act for the period, the UPD (status 2) and the statement, rendered as HTML with the
requisites from the partner card and the gross, withheld and net amounts."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .test_partner_tax import INN_COMPANY, INN_PERSON, BrokerPartnerTaxCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-11-24")
class TestPartnerDocuments(BrokerPartnerTaxCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"vat": "7736207543", "street": "ul. Tverskaya, 1", "city": "Moscow", "zip": "125009"})
        bank = cls.env["res.bank"].create({"name": "Partner Bank", "bic": "044525225"})
        cls.company_partner = cls._partner(
            "Referral LLC", "company", INN_COMPANY, contract="agency", street="ul. Lenina, 5", city="Podolsk",
            bank_ids=[Command.create({"acc_number": "40702810900000000001", "bank_id": bank.id})],
        )  # fmt: skip
        cls.individual = cls._partner("Ivan Individual", "individual", INN_PERSON)

    def _html(self, report, records):
        """The rendered HTML, without spaces (amounts are formatted the Russian way: 50 000,00)."""
        html, _fmt = self.env["ir.actions.report"].with_user(self.accountant)._render_qweb_html(report, records.ids)
        return html.decode().replace("\xa0", "").replace(" ", "")

    def assertShows(self, html, texts):
        """Texts, and amounts (numbers) in any of the languages' formats (50,000.00 / 50000,00)."""
        for text in texts:
            if isinstance(text, str):
                self.assertTrue(text.replace(" ", "") in html, f"{text} is missing")
                continue
            forms = {f"{text:,.2f}", f"{text:.2f}", f"{text:.2f}".replace(".", ",")}
            self.assertTrue(any(form in html for form in forms), f"{text} is missing")

    def test_upd_and_act_carry_the_partner_requisites(self):
        commissions = self._earn(self.company_partner) | self._earn(self.company_partner, amount_issued=1_000_000)
        for report in ("broker_commission.action_report_partner_upd", "broker_commission.action_report_partner_act"):
            with self.subTest(report=report):
                html = self._html(report, commissions)
                self.assertShows(html, ("Referral LLC", INN_COMPANY, "Podolsk", "40702810900000000001", "044525225",
                                        "P-3893", "7736207543"))  # fmt: skip
        self.assertShows(self._html("broker_commission.action_report_partner_act", commissions),
                         (50_000, 25_000, 75_000))  # fmt: skip
        self.assertShows(self._html("broker_commission.action_report_partner_upd", commissions),
                         (50_000, 25_000, 75_000))  # fmt: skip
        upd = self._html("broker_commission.action_report_partner_upd", commissions)
        self.assertShows(upd, ("o_broker_upd", "<strong>2</strong>"))

    def test_upd_only_for_companies_and_sole_traders(self):
        commission = self._earn(self.individual)
        with self.assertRaisesRegex(UserError, "UPD is issued by companies and sole traders only"):
            self._html("broker_commission.action_report_partner_upd", commission)

    def test_individual_act_and_statement_show_gross_withheld_net(self):
        commission = self._earn(self.individual)
        act = self._html("broker_commission.action_report_partner_act", commission)
        self.assertShows(act, ("Ivan Individual", INN_PERSON, 50_000, 6_500, 43_500))
        statement = self._html("broker_commission.action_report_commission_statement", commission)
        self.assertShows(statement, ("o_broker_statement_month", "11.2026", 50_000, 6_500, 43_500))
