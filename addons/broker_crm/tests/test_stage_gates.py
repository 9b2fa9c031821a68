from odoo import Command
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tests import tagged

from .common import BrokerCrmCommon, new_broker_user


@tagged("post_install", "-at_install")
class TestStageGates(BrokerCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_broker_user(cls.env, "gate_agent", "agent")
        cls.manager = new_broker_user(cls.env, "gate_manager", "manager")
        cls.bank = cls.env["res.bank"].create({"name": "Gate Bank"})

    def _deal_at(self, step, **vals):
        """A deal of the agent, put at the step by the system (the gates are what the test looks at)."""
        lead = self._new_deal(self.agent, **vals)
        lead.sudo().stage_id = self.stages[step]
        return lead.with_user(self.agent)

    def _move(self, lead, step):
        lead.write({"stage_id": self.stages[step].id})
        self.assertEqual(lead.broker_step, step)

    def test_installed_pipeline_has_its_gates(self):
        """A fresh database: every step from the documents on declares what it needs."""
        stages = self.stages
        gated = {step for step, stage in stages.items() if stage.broker_gate_ids}
        self.assertLessEqual(
            {"documents", "range_offered", "range_agreed", "contract", "credit_support", "credit_approved",
             "credit_issued"},
            gated,
        )  # fmt: skip
        self.assertFalse(stages["new"].broker_gate_ids)

    def test_each_gate_refuses_with_its_message_and_passes_when_met(self):
        lead = self._deal_at("pre_analysis")
        with self.assertRaisesMessage(UserError, r"(?s)Still missing:.*consent of the client.*every document"):
            self._move(lead, "documents")
        self._give_pd_consent(lead, user=self.agent)
        with self.assertRaisesMessage(UserError, r"every document of the checklist") as caught:
            self._move(lead, "documents")
        self.assertNotIn("consent", str(caught.exception), "only what is still missing is listed")
        self._upload_documents(lead)
        self._move(lead, "documents")

        with self.assertRaisesMessage(UserError, r"(?s)documents submitted for analysis.*both amounts"):
            self._move(lead, "range_offered")
        lead.action_submit_documents()
        # a form saving the range and the new stage at once is judged on the values it saves
        lead.write({"amount_from": 4_000_000, "amount_to": 6_000_000, "stage_id": self.stages["range_offered"].id})
        self.assertEqual(lead.broker_step, "range_offered")

        with self.assertRaisesMessage(UserError, r"client's agreement to the range"):
            self._move(lead, "range_agreed")
        lead.range_agreement = "agreed"
        self._move(lead, "range_agreed")
        self._move(lead, "contract_data")

        with self.assertRaisesMessage(UserError, r"the contract data"):
            self._move(lead, "contract")
        lead.write({"partner_name": "Petrov IP", "client_inn": "500100732259", "contract_number": "BR-9"})
        self._move(lead, "contract")

        with self.assertRaisesMessage(UserError, r"contract signed by the client"):
            self._move(lead, "credit_support")
        lead.write({"contract_state": "signed", "contract_sign_method": "edo"})
        self.assertTrue(lead.date_contract_signed, "signing the contract dates it")
        self._move(lead, "credit_support")

        with self.assertRaisesMessage(UserError, r"an approved bank application"):
            self._move(lead, "credit_approved")
        lead.write({"bank_application_ids": [Command.create({"bank_id": self.bank.id, "state": "submitted"})]})
        lead.bank_application_ids.state = "approved"
        self._move(lead, "credit_approved")

        with self.assertRaisesMessage(UserError, r"issued amount and the date of issue"):
            self._move(lead, "credit_issued")
        lead.with_user(self.manager).write({"amount_issued": 4_500_000, "date_issued": "2026-11-20"})
        self._move(lead, "credit_issued")
        self._move(lead, "act_invoice")

    def test_skipping_steps_checks_every_step_passed(self):
        """Dragging a new request straight to "credit issued" is refused with everything it lacks."""
        lead = self._new_deal(self.agent).with_user(self.agent)
        with self.assertRaisesMessage(UserError, r"(?s)consent.*both amounts.*contract signed.*issued amount") as c:
            self._move(lead, "credit_issued")
        self.assertIn("Credit Issued", str(c.exception))
        self.assertEqual(lead.broker_step, "new", "nothing moved")
        # the same for "Mark as Won", which picks the first won stage
        with self.assertRaises(UserError):
            lead.action_set_won()
        self.assertEqual(lead.broker_step, "new")

    def test_creating_a_deal_straight_into_a_later_step_is_gated(self):
        with self.assertRaisesMessage(UserError, r"an approved bank application"):
            self._new_deal(self.agent, stage_id=self.stages["credit_issued"].id)
        # the first steps need nothing
        lead = self._new_deal(self.agent, stage_id=self.stages["pre_analysis"].id)
        self.assertEqual(lead.broker_step, "pre_analysis")

    def test_moving_back_is_always_allowed(self):
        lead = self._deal_at("credit_support")
        self._move(lead, "contract")
        self._move(lead, "new")

    def test_manager_overrides_with_a_logged_reason(self):
        lead = self._deal_at("credit_support")
        manager_lead = lead.with_user(self.manager)
        with self.assertRaises(RedirectWarning) as caught:
            manager_lead.write({"stage_id": self.stages["credit_approved"].id})
        message, action_id, _button, context = caught.exception.args
        self.assertIn("an approved bank application", message)
        self.assertEqual(action_id, self.env.ref("broker_crm.action_broker_stage_gate_override").id)
        wizard = (
            self.env["broker.stage.gate.override"]
            .with_user(self.manager)
            .with_context(**context)
            .create({"reason": "The bank confirmed the approval by phone; the letter follows"})
        )
        self.assertIn("an approved bank application", wizard.missing)
        wizard.action_confirm()
        self.assertEqual(lead.broker_step, "credit_approved")
        note = lead.message_ids.filtered(lambda m: "confirmed the approval by phone" in (m.body or ""))
        self.assertTrue(note, "the override and its reason are in the chatter")
        self.assertIn("an approved bank application", note.body)
        self.assertEqual(note.author_id, self.manager.partner_id)

    def test_agents_cannot_override(self):
        lead = self._deal_at("credit_support")
        with self.assertRaises(UserError):
            lead.write({"stage_id": self.stages["credit_approved"].id})
        # the context key is no way around the gate for an agent (RPC passes any context)
        with self.assertRaises(AccessError):
            lead.with_context(broker_gate_override="because").write({"stage_id": self.stages["credit_approved"].id})
        with self.assertRaises(AccessError):
            self.env["broker.stage.gate.override"].with_user(self.agent).create(
                {"lead_ids": [Command.set(lead.ids)], "stage_id": self.stages["credit_approved"].id, "reason": "x"}
            )
        self.assertEqual(lead.broker_step, "credit_support")

    def test_managers_configure_the_gates(self):
        stage = self.stages["range_agreed"].with_user(self.manager)
        gate = {"name": "a requested amount above 1 million", "domain": "[('amount_requested', '>', 1000000)]"}
        stage.write({"broker_gate_ids": [Command.create(gate)]})
        lead = self._deal_at("range_offered", amount_requested=900_000)
        with self.assertRaisesMessage(UserError, r"a requested amount above 1 million"):
            self._move(lead, "range_agreed")
        lead.amount_requested = 2_000_000
        lead.range_agreement = "agreed"
        self._move(lead, "range_agreed")
        # a condition that cannot be evaluated is refused when saved
        with self.assertRaises(ValidationError):
            stage.write({"broker_gate_ids": [Command.create({"name": "bad", "domain": "[('no_such_field', '=', 1)]"})]})
        # agents only read them
        with self.assertRaises(AccessError):
            self.env["broker.stage.gate"].with_user(self.agent).create(
                {"stage_id": stage.id, "name": "x", "domain": "[]"}
            )
        # an archived gate no longer applies
        self.stages["closed"].broker_gate_ids.with_user(self.manager).active = False
        lead.sudo().stage_id = self.stages["act_invoice"]
        self._move(lead, "closed")
