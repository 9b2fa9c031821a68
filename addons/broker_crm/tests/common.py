from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user


class BrokerCrmCommon(TransactionCase):
    """Users of every broker role, shared by the broker_crm tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.user_agent = mail_new_test_user(
            cls.env, login="broker_agent", name="Anna Agent", email="agent@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.user_agent2 = mail_new_test_user(
            cls.env, login="broker_agent2", name="Boris Agent", email="agent2@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.user_manager = mail_new_test_user(
            cls.env, login="broker_manager", name="Maria Manager", email="manager@broker.example",
            groups="broker_crm.group_broker_manager",
        )  # fmt: skip
        cls.user_accountant = mail_new_test_user(
            cls.env, login="broker_accountant", name="Olga Accountant", email="accountant@broker.example",
            groups="broker_crm.group_broker_accountant",
        )  # fmt: skip
