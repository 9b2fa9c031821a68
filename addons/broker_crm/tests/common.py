import base64
from contextlib import contextmanager

from odoo import fields
from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user


def new_broker_user(env, login, role, **vals):
    """A user created the way an administrator does it: Settings → Users → New (the default
    user template's groups), then the Credit Broker role chosen on the form.

    :param role: "agent", "manager", "accountant", or None for an employee without a broker role
    """
    values = {"name": login.replace("_", " ").title(), "login": login, "email": f"{login}@broker.example"}
    values.update(vals)
    user = env["res.users"].with_context(no_reset_password=True, mail_create_nosubscribe=True).create(values)
    if role:
        user.broker_role = role
    return user


def new_portal_partner_user(env, login, partner):
    """Portal access for a new contact of the referral partner, granted through Odoo's own
    portal wizard (contact form → Grant portal access) by the calling environment's user."""
    contact = env["res.partner"].create(
        {"name": login.replace("_", " ").title(), "email": f"{login}@partner.example", "parent_id": partner.id}
    )
    wizard = env["portal.wizard"].with_context(active_ids=contact.ids).create({})
    wizard.user_ids.filtered(lambda line: line.partner_id == contact).action_grant_access()
    return contact.with_context(active_test=False).user_ids[:1]


class BrokerCrmCommon(TransactionCase):
    """Users of every broker role and a small catalogue, shared by the broker_crm tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_agent = mail_new_test_user(
            cls.env, login="broker_agent", name="Anna Agent", email="agent@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.user_agent2 = mail_new_test_user(
            cls.env, login="broker_agent2", name="Boris Agent", email="agent2@broker.example",
            groups="broker_crm.group_broker_agent",
        )  # fmt: skip
        cls.user_leader = mail_new_test_user(
            cls.env, login="broker_leader", name="Lev Leader", email="leader@broker.example",
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
        cls.team = cls.env.ref("broker_crm.crm_team_broker")
        cls.team.user_id = cls.user_leader
        cls.stages = {
            stage.broker_step: stage
            for stage in cls.env["crm.stage"].search([("broker_step", "!=", False), ("team_id", "=", cls.team.id)])
        }
        cls.doc_passport = cls.env["broker.document.type"].create({"name": "Passport"})
        cls.doc_income = cls.env["broker.document.type"].create({"name": "Income"})
        cls.product = cls.env["broker.credit.product"].create(
            {
                "name": "Test mortgage",
                "code": "TEST_MORTGAGE",
                "fee_percent": 2.0,
                "fee_fixed": 10000,
                "criterion_ids": [
                    (0, 0, {"name": "Age 21-65"}),
                    (0, 0, {"name": "Stable income"}),
                ],
                "document_type_ids": [(6, 0, [cls.doc_passport.id, cls.doc_income.id])],
            }
        )
        cls.stop_overdue = cls.env["broker.stop.factor"].create({"name": "Current overdue"})

    @classmethod
    def _new_deal(cls, user=None, **vals):
        values = {
            "name": "Deal",
            "type": "opportunity",
            "team_id": cls.team.id,
            "contact_name": "Ivan Petrov",
            "email_from": "ivan@example.com",
            "phone": "+7 900 111-22-33",
            "credit_product_id": cls.product.id,
            "amount_requested": 5_000_000,
            "user_id": (user or cls.user_agent).id,
        }
        values.update(vals)
        lead = cls.env["crm.lead"].with_user(user or cls.user_agent).create(values)
        cls._end_request()
        return lead

    @classmethod
    def _give_pd_consent(cls, lead, user=None, date=None):
        """The client of the deal signs a consent to personal data processing, recorded by the agent."""
        user = user or cls.user_agent
        if not lead.partner_id:
            lead.with_user(user)._handle_partner_assignment(create_missing=True)
        return (
            cls.env["broker.consent"]
            .with_user(user)
            .create(
                {
                    "partner_id": lead.partner_id.id,
                    "lead_id": lead.id,
                    "kind": "personal_data",
                    "purpose": "Credit selection under the brokerage contract",
                    "date_given": date or fields.Date.context_today(lead),
                    "method": "paper",
                    "document": base64.b64encode(b"%PDF-1.4 signed consent"),
                    "document_name": "consent.pdf",
                }
            )
        )

    @classmethod
    def _upload_documents(cls, lead, date_issued=None):
        """Every checklist document of the deal received."""
        for line in lead.document_ids.filtered(lambda line: line.state == "missing"):
            line._attach_files([(f"{line.document_type_id.name}.pdf", b"%PDF-1.4 test", "application/pdf")])
        if date_issued:
            lead.document_ids.date_issued = date_issued

    @classmethod
    def _end_request(cls):
        """Run what the end of a request runs (tracking of changes to records created in it is skipped)."""
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    @contextmanager
    def assertRaisesMessage(self, exception, regex):
        """Like assertRaisesRegex, but rolls back what the failed call left (Odoo's assertRaises)."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), regex)

    def _tracking_values(self, records):
        """Tracking values of the records' chatter (they are written when the transaction commits)."""
        self._end_request()
        return (
            self.env["mail.tracking.value"]
            .sudo()
            .search([("mail_message_id.model", "=", records._name), ("mail_message_id.res_id", "in", records.ids)])
        )
