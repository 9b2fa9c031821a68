from odoo.addons.broker_crm.tests.common import BrokerCrmCommon
from odoo.addons.mail.tests.common import mail_new_test_user


class BrokerServiceCommon(BrokerCrmCommon):
    """The broker users plus a channel responsible; the company works with a 5-minute target and quiet Mondays."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_channel = mail_new_test_user(
            cls.env, login="broker_channel", name="Cyril Channel", email="channel@broker.example",
            groups="broker_crm.group_broker_agent", tz="UTC",
        )  # fmt: skip
        (cls.user_agent | cls.user_agent2 | cls.user_leader | cls.user_manager).write({"tz": "UTC"})
        cls.env.company.write(
            {"broker_first_response_minutes": 5, "broker_quiet_day_enabled": True, "broker_quiet_weekday": "0"}
        )
        cls.channel_avito = cls.env.ref("broker_service.broker_channel_avito")
        cls.channel_avito.user_id = cls.user_channel
        cls.channel_telegram = cls.env.ref("broker_service.broker_channel_telegram")
        cls.channel_telegram.user_id = cls.user_agent2

    def _cadence(self, lead):
        types = self.env["crm.lead"]._broker_cadence_activity_types()
        return lead.activity_ids.filtered(lambda a: a.activity_type_id in types).sorted(
            lambda a: (a.date_deadline, a.activity_type_id.sequence)
        )
