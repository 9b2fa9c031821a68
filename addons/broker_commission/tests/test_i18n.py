from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.broker_crm.tests.common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestRussian(BrokerCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(["broker_commission"], ["ru_RU"], overwrite=True)

    def test_accountant_works_in_russian(self):
        env = self.env(user=self.user_manager, context={"lang": "ru_RU"})
        labels = dict(env["res.partner"]._fields["broker_tax_status"]._description_selection(env))
        self.assertEqual(labels["self_employed"], "Самозанятый (НПД)")
        with self.assertRaisesMessage(ValidationError, "не может работать по агентскому договору"):
            env["res.partner"].create({
                "name": "Самозанятый", "is_broker_partner": True, "broker_tax_status": "self_employed",
                "vat": "500100732259", "broker_contract_type": "agency",
            })  # fmt: skip
        menu = self.env.ref("broker_commission.menu_broker_missing_receipts").with_context(lang="ru_RU")
        self.assertEqual(menu.name, "Недостающие чеки")
