from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user


def make_signal(index, signal_type="application", subject="SUBJ-1", **extra):
    return dict(
        {
            "id": f"sig-{index}",
            "type": signal_type,
            "subject": subject,
            "date": "2025-03-10",
            "creditor": "Alfa-Bank",
            "amount": 250000,
        },
        **extra,
    )


class BrokerMonitoringCommon(TransactionCase):
    """Broker users, a client on monitoring and a provider, shared by the monitoring tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_agent = mail_new_test_user(
            cls.env, login="mon_agent", name="Anna Agent", email="mon_agent@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.user_agent2 = mail_new_test_user(
            cls.env, login="mon_agent2", name="Boris Agent", email="mon_agent2@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.user_manager = mail_new_test_user(
            cls.env, login="mon_manager", name="Maria Manager", email="mon_manager@broker.example",
            groups="broker_crm.group_broker_manager",
        )  # fmt: skip
        cls.user_admin = mail_new_test_user(
            cls.env, login="mon_admin", name="Sergey Sysadmin", email="mon_admin@broker.example",
            groups="broker_crm.group_broker_manager,base.group_system",
        )  # fmt: skip
        cls.provider = cls.env["broker.monitoring.provider"].create(
            {
                "name": "Test bureau",
                "connector_type": "http_json",
                "url": "http://127.0.0.1:9/unused",
                "page_size": 3,
                "timeout": 0.5,
                "max_retries": 2,
                "retry_backoff": 0.0,
            }
        )
        cls.client = cls.env["res.partner"].create({"name": "Ivan Petrov"})
        cls.stages = {}
        for step in ("new", "contract", "credit_support", "credit_issued"):
            cls.stages[step] = cls.env["crm.stage"].search([("broker_step", "=", step)], limit=1) or cls.env[
                "crm.stage"
            ].create({"name": f"Test {step}", "broker_step": step})

    @classmethod
    def _lead(cls, user=None, step="new", **vals):
        return cls.env["crm.lead"].create(
            dict(
                {
                    "name": "Deal of Ivan Petrov",
                    "type": "opportunity",
                    "partner_id": cls.client.id,
                    "user_id": (user or cls.user_agent).id,
                    "stage_id": cls.stages[step].id,
                },
                **vals,
            )
        )

    @classmethod
    def _subscribe(cls, subject="SUBJ-1", reason="contract_control", **vals):
        return cls.env["broker.monitoring.subscription"].create(
            dict(
                {
                    "partner_id": cls.client.id,
                    "reason": reason,
                    "subject_ref": subject,
                    "user_id": cls.user_agent.id,
                    "date_start": "2025-03-01",
                },
                **vals,
            )
        )

    def _ingest(self, items, provider=None):
        provider = provider or self.provider
        run = self.env["broker.monitoring.run"].create({"provider_id": provider.id})
        counts = self.env["broker.monitoring.signal"]._ingest(provider, run, items)
        return run, counts

    def _signals(self, provider=None):
        return self.env["broker.monitoring.signal"].search([("provider_id", "=", (provider or self.provider).id)])
