import base64

from odoo import Command, fields
from odoo.tests import TransactionCase

from odoo.addons.broker_crm.tests.common import new_broker_user

# every test user's password, for the HTTP tests
PASSWORD = "Monitoring-2025"
ALLOWED_HOSTS_PARAM = "broker_monitoring.allowed_hosts"
# the scan of a signed consent
CONSENT_SCAN = base64.b64encode(b"%PDF-1.4\n% signed consent to request the credit history\n")


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


class BrokerMonitoringSetup:
    """Broker users, a client and a provider, shared by the monitoring tests (ORM and HTTP ones)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # users made as an administrator makes them: Settings → Users defaults, then the broker role
        cls.user_agent = new_broker_user(cls.env, "mon_agent", "agent", name="Anna Agent", password=PASSWORD)
        cls.user_agent2 = new_broker_user(cls.env, "mon_agent2", "agent", name="Boris Agent", password=PASSWORD)
        cls.user_manager = new_broker_user(cls.env, "mon_manager", "manager", name="Maria Manager", password=PASSWORD)
        cls.user_admin = new_broker_user(cls.env, "mon_admin", "manager", name="Sergey Sysadmin", password=PASSWORD)
        cls.user_admin.groups_id = [Command.link(cls.env.ref("base.group_system").id)]
        # the test bureaus run on this machine: local addresses pass only when listed
        cls.env["ir.config_parameter"].set_param(ALLOWED_HOSTS_PARAM, "127.0.0.1")
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
    def _consent(cls, partner=None, date_given="2025-03-01", **vals):
        """The client's signed consent to request their credit history (218-FZ art. 6)."""
        return cls.env["broker.consent"].create(
            dict(
                {
                    "partner_id": (partner or cls.client).id,
                    "kind": "credit_history",
                    "purpose": "Credit history request and bureau monitoring",
                    "date_given": date_given,
                    "method": "paper",
                    "document": CONSENT_SCAN,
                    "document_name": "consent.pdf",
                },
                **vals,
            )
        )

    @classmethod
    def _subscribe(cls, subject="SUBJ-1", reason="contract_control", consent=True, **vals):
        """Subscribe the client; unless told otherwise, they sign the consent on the start day first."""
        partner = cls.env["res.partner"].browse(vals.get("partner_id") or cls.client.id)
        start = fields.Date.to_date(vals.get("date_start", "2025-03-01"))
        if consent and not partner._broker_consent_valid("credit_history", start):
            cls._consent(partner, min(start, fields.Date.today()))
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


class BrokerMonitoringCommon(BrokerMonitoringSetup, TransactionCase):
    pass
