from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestRussian(BrokerCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(["broker_crm"], ["ru_RU"], overwrite=True)
        cls.user_agent.lang = "ru_RU"

    def test_agent_works_in_russian(self):
        stage = self.env.ref("broker_crm.stage_new").with_user(self.user_agent).with_context(lang="ru_RU")
        self.assertEqual(stage.name, "Новая заявка")
        lead = self._new_deal()
        with self.assertRaisesMessage(ValidationError, "Адрес эл. почты bad некорректен"):
            lead.with_user(self.user_agent).with_context(lang="ru_RU").write({"email_from": "bad"})
