"""Paying referral partners by their tax status: company, sole trader, self-employed, individual.

The exact figures of the issue: a 2,000,000 ₽ credit gives a 50,000 ₽ commission (2.5%); an
individual gets 43,500 ₽ and 6,500 ₽ of personal income tax is withheld (13%); above 2.4 mln ₽ of
income from the broker in the year the rate is 15% (NK RF art. 224 since 2025).
"""

import ast
import base64
from contextlib import contextmanager

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.broker_crm.tests.common import new_broker_user

ACT_SCAN = base64.b64encode(b"%PDF-1.4 signed act")
INN_COMPANY = "7707083893"
INN_PERSON = "500100732259"
INN_PERSON_2 = "773370857141"


class BrokerPartnerTaxCommon(AccountTestInvoicingCommon):
    @classmethod
    def setup_independent_company(cls, **kwargs):
        return super().setup_independent_company(currency_id=cls._enable_currency("RUB").id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.accountant = new_broker_user(cls.env, "tax_accountant", "accountant", **company_vals)
        cls.manager = new_broker_user(cls.env, "tax_manager", "manager", **company_vals)
        cls.agent = new_broker_user(cls.env, "tax_agent", "agent", **company_vals)
        cls.client = cls.env["res.partner"].create({"name": "Client Ltd", "email": "client@example.com"})
        cls.team = cls.env.ref("broker_crm.crm_team_broker")
        cls.company.broker_commission_rate = 2.5

    @classmethod
    def _partner(cls, name, status, inn, contract="service", **vals):
        # referral partners are set up by a broker manager
        return (
            cls.env["res.partner"]
            .with_user(cls.manager)
            .create({"name": name, "is_broker_partner": True, "is_company": status == "company",
                     "broker_tax_status": status, "vat": inn, "broker_contract_type": contract,
                     "broker_contract_number": f"P-{inn[-4:]}", "broker_contract_date": "2026-01-15", **vals})
        )  # fmt: skip

    @contextmanager
    def assertRaisesMessage(self, exception, regex):
        """Like assertRaisesRegex, but rolls back what the failed call left (Odoo's assertRaises)."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), regex)

    def _deal(self, referral, amount_issued=2_000_000):
        return self.env["crm.lead"].with_user(self.manager).create({
            "name": f"Credit via {referral.name}", "type": "opportunity", "team_id": self.team.id,
            "company_id": self.company.id, "partner_id": self.client.id, "user_id": self.agent.id,
            "referral_partner_id": referral.id, "fee_percent": 2.0, "fee_fixed": 0, "contract_number": "BR-1",
            "amount_issued": amount_issued, "date_issued": "2026-11-20",
        })  # fmt: skip

    def _pay(self, move):
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
        )
        return wizard.create({})._create_payments()

    def _earn(self, referral, amount_issued=2_000_000):
        """Invoice, payment and signed act: the commission is due and its bill created."""
        lead = self._deal(referral, amount_issued)
        lead.with_user(self.accountant).action_create_invoice()
        invoice = lead.invoice_id
        invoice.with_user(self.accountant).action_post()
        self._pay(invoice)
        action = lead.with_user(self.accountant).action_open_act_signed()
        wizard = Form(self.env[action["res_model"]].with_user(self.accountant).with_context(**action["context"]))
        wizard.scan = ACT_SCAN
        wizard.save().action_confirm()
        return lead.sudo().commission_ids


@tagged("post_install", "-at_install")
class TestTaxStatus(BrokerPartnerTaxCommon):
    def test_inn_required_and_validated_nothing_written(self):
        partner = self._partner("Good LLC", "company", INN_COMPANY)
        Partner = self.env["res.partner"].with_user(self.manager)
        cases = [
            ({"broker_tax_status": "individual", "vat": False}, "required"),
            ({"broker_tax_status": "individual", "vat": "500100732258"}, "not valid"),  # check digit
            ({"broker_tax_status": "company", "vat": INN_PERSON}, "10 digits"),  # a person's INN
            ({"broker_tax_status": "sole_trader", "vat": INN_COMPANY}, "12"),
            ({"broker_tax_status": "individual", "vat": "5001 0073 2259"}, "not valid"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesMessage(ValidationError, message):
                partner.with_user(self.manager).write(vals)
            with self.subTest(create=vals), self.assertRaisesMessage(ValidationError, message):
                Partner.create({"name": "Bad", "is_broker_partner": True, **vals})
        partner.invalidate_recordset()
        self.assertEqual((partner.broker_tax_status, partner.vat), ("company", INN_COMPANY))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Bad")]))

    def test_self_employed_cannot_work_under_an_agency_contract(self):
        with self.assertRaisesMessage(ValidationError, "422-FZ art. 6"):
            self._partner("Sam Selfemployed", "self_employed", INN_PERSON, contract="agency")
        partner = self._partner("Sam Selfemployed", "self_employed", INN_PERSON)
        with self.assertRaisesMessage(ValidationError, "agency contract"):
            partner.with_user(self.manager).broker_contract_type = "agency"
        partner.invalidate_recordset()
        self.assertEqual(partner.broker_contract_type, "service")
        # a company may work under an agency contract
        self._partner("Agent LLC", "company", INN_COMPANY, contract="agency")

    def test_agents_do_not_see_the_tax_status(self):
        partner = self._partner("Quiet LLC", "company", INN_COMPANY)
        with self.assertRaises(AccessError):
            partner.with_user(self.agent).read(["broker_tax_status"])
        self.assertEqual(partner.with_user(self.accountant).broker_tax_status, "company")

    def test_agents_do_not_see_the_contract_nor_the_status_check(self):
        partner = self._partner("Quiet Contract LLC", "company", INN_COMPANY)
        fields_ = ["broker_contract_type", "broker_contract_number", "broker_contract_date",
                   "broker_tax_status_checked_on", "broker_npd_valid"]  # fmt: skip
        for fname in fields_:
            with self.subTest(field=fname), self.assertRaises(AccessError):
                partner.with_user(self.agent).read([fname])
        with self.assertRaises(UserError):  # AccessError or no export right at all
            partner.with_user(self.agent).export_data(["broker_contract_number"])
        self.assertEqual(partner.with_user(self.accountant).broker_contract_number, f"P-{INN_COMPANY[-4:]}")


@tagged("post_install", "-at_install")
@freeze_time("2026-11-24")
class TestPayoutByTaxStatus(BrokerPartnerTaxCommon):
    def test_company_is_paid_in_full(self):
        commission = self._earn(self._partner("Referral LLC", "company", INN_COMPANY))
        self.assertEqual(commission.amount, 50_000)
        bill = commission.bill_id
        self.assertRecordValues(bill, [{"amount_untaxed": 50_000, "amount_tax": 0, "amount_total": 50_000}])
        self.assertEqual((commission.tax_withheld, commission.amount_net, commission.payout_kind), (0, 50_000, "gross"))

    def test_sole_trader_is_paid_in_full(self):
        commission = self._earn(self._partner("IP Petrov", "sole_trader", INN_PERSON))
        self.assertEqual(commission.bill_id.amount_total, 50_000)
        self.assertEqual(commission.tax_withheld, 0)

    def test_self_employed_waits_for_the_status_check(self):
        """Billed by the accountant after the tax service's check: see test_self_employed.py."""
        commission = self._earn(self._partner("Sam Selfemployed", "self_employed", INN_PERSON))
        self.assertEqual((commission.state, commission.payout_kind), ("due", "receipt"))
        self.assertFalse(commission.bill_id)
        with self.assertRaisesMessage(UserError, "not confirmed by the tax service today"):
            commission._create_bills()

    def test_individual_gets_the_net_and_the_tax_is_booked(self):
        commission = self._earn(self._partner("Ivan Individual", "individual", INN_PERSON))
        bill = commission.bill_id
        self.assertRecordValues(bill, [{"amount_untaxed": 50_000, "amount_tax": -6_500, "amount_total": 43_500}])
        self.assertEqual((commission.tax_withheld, commission.amount_net, commission.payout_kind),
                         (6_500, 43_500, "withholding"))  # fmt: skip
        bill.with_user(self.accountant).action_post()
        account = self.company.broker_ndfl_account_id
        self.assertEqual(account.account_type, "liability_current")
        tax_line = bill.line_ids.filtered(lambda line: line.account_id == account)
        self.assertEqual((tax_line.credit, tax_line.debit), (6_500, 0), "the tax withheld is a liability")
        payable = bill.line_ids.filtered(lambda line: line.account_id.account_type == "liability_payable")
        self.assertEqual(payable.credit, 43_500, "the partner is owed the net amount")
        self._pay(bill)
        self.assertEqual(commission.state, "paid")
        # the monthly report of tax withheld (6-NDFL)
        action = self.env["ir.actions.act_window"]._for_xml_id("broker_commission.action_broker_ndfl_withheld")
        domain = ast.literal_eval(action["domain"])
        lines = self.env["account.move.line"].with_user(self.accountant).search(domain)
        self.assertEqual(lines, tax_line)
        self.assertEqual(lines.tax_base_amount, 50_000)
        groups = (
            self.env["account.move.line"].with_user(self.accountant)._read_group(domain, ["date:month"], ["credit:sum"])
        )
        self.assertEqual([amount for _month, amount in groups], [6_500])

    def test_individual_crossing_the_yearly_threshold_gets_the_split_rate(self):
        partner = self._partner("Ivan Individual", "individual", INN_PERSON)
        # 95,200,000 ₽ of credits earlier this year: 2,380,000 ₽ of commission at 13%
        first = self._earn(partner, amount_issued=95_200_000)
        self.assertEqual(first.amount, 2_380_000)
        self.assertEqual(first.tax_withheld, 309_400)
        # the next 50,000 ₽: 20,000 ₽ at 13% and the 30,000 ₽ above 2.4 mln ₽ at 15%
        second = self._earn(partner)
        lines = second.bill_id.invoice_line_ids.sorted("price_unit")
        self.assertEqual(lines.mapped("price_unit"), [20_000, 30_000])
        self.assertEqual(lines.mapped("tax_ids.amount"), [-13, -15])
        self.assertEqual(lines.mapped("broker_ndfl_above_threshold"), [False, True])
        self.assertEqual((second.tax_withheld, second.amount_net), (2_600 + 4_500, 42_900))
        self.assertEqual(second.bill_id.amount_total, 42_900)
        # from now on, 15%
        third = self._earn(partner)
        self.assertEqual(third.tax_withheld, 7_500)

    def test_withheld_tax_is_in_full_roubles(self):
        """NK RF art. 52 p. 6: 13% of 50,003.85 is 6,500.50, withheld as 6,501."""
        commission = self._earn(self._partner("Ivan Individual", "individual", INN_PERSON), amount_issued=2_000_154)
        self.assertEqual(commission.amount, 50_003.85)
        self.assertEqual((commission.tax_withheld, commission.amount_net), (6_501, 43_502.85))
        self.assertEqual(commission.bill_id.amount_total, 43_502.85)

    def test_another_individual_starts_at_13_percent(self):
        self._earn(self._partner("Ivan Individual", "individual", INN_PERSON), amount_issued=100_000_000)
        other = self._earn(self._partner("Olga Individual", "individual", INN_PERSON_2))
        self.assertEqual(other.tax_withheld, 6_500)

    def test_partner_without_status_is_paid_as_before(self):
        referral = (
            self.env["res.partner"]
            .with_user(self.manager)
            .create({"name": "Old Referral", "is_broker_partner": True, "is_company": True})
        )
        commission = self._earn(referral)
        self.assertEqual((commission.bill_id.amount_total, commission.tax_withheld), (50_000, 0))

    def test_roles_on_the_tax_side(self):
        commission = self._earn(self._partner("Ivan Individual", "individual", INN_PERSON))
        # the accountant and the manager read the tax withheld and the report; agents do not
        self.assertEqual(commission.with_user(self.manager).tax_withheld, 6_500)
        self.assertEqual(commission.with_user(self.accountant).amount_net, 43_500)
        with self.assertRaises(AccessError):
            commission.with_user(self.agent).read(["tax_withheld"])
        # the report is under Accounting → Credit Broker, which agents do not see
        report_menu = self.env.ref("broker_commission.menu_broker_ndfl_withheld")
        self.assertNotIn(report_menu.id, self.env["ir.ui.menu"].with_user(self.agent)._visible_menu_ids())
        self.assertIn(report_menu.id, self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids())
