from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BrokerServiceCommon


@tagged("post_install", "-at_install")
class TestRussian(BrokerServiceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(["broker_service"], ["ru_RU"], overwrite=True)
        cls.user_agent.lang = "ru_RU"

    def test_agent_works_in_russian(self):
        env_ru = self.env(user=self.user_agent, context={"lang": "ru_RU"})
        self.assertEqual(env_ru.ref("broker_service.broker_channel_avito").name, "Авито")
        self.assertEqual(env_ru.ref("broker_service.cadence_step_day_1").summary, "Позвонить клиенту")
        lead = self._new_deal()
        task = lead.activity_schedule("broker_service.mail_activity_type_consultation", user_id=self.user_agent.id)
        with self.assertRaisesMessage(UserError, "Сначала запишите консультацию"):
            task.with_env(env_ru).action_done()
