from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.broker_crm.tests.common import BrokerCrmCommon, new_broker_user


@tagged("post_install", "-at_install")
class TestActGate(BrokerCrmCommon):
    """Closing a deal needs the signed act back."""

    def test_closing_needs_the_signed_act(self):
        self.assertTrue(self.stages["closed"].broker_gate_ids, "the closed step declares its condition")
        agent = new_broker_user(self.env, "gate_agent", "agent")
        lead = self._new_deal(agent)
        lead.sudo().stage_id = self.stages["act_invoice"]
        lead = lead.with_user(agent)
        with self.assertRaisesMessage(UserError, r"act signed by the client"):
            lead.write({"stage_id": self.stages["closed"].id})
        self.assertEqual(lead.broker_step, "act_invoice")
        lead.sudo().act_signed_date = "2026-11-20"
        lead.write({"stage_id": self.stages["closed"].id})
        self.assertEqual(lead.broker_step, "closed")
