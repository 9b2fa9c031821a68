from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestCommissionConcurrency(TransactionCase):
    """Two transactions billing the same commission at once create one bill.

    Other transactions only see committed data, so this test commits its records (a deal,
    its paid invoice and signed act) in separate cursors of the throwaway test database.
    """

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_two_transactions_create_one_bill(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env.company.broker_commission_auto_bill = False  # the two transactions below do the billing
            partner = env["res.partner"].create({"name": "Concurrency referral", "is_broker_partner": True})
            client = env["res.partner"].create({"name": "Concurrency client"})
            lead = env["crm.lead"].create({"name": "Concurrency deal", "type": "opportunity", "partner_id": client.id,
                                           "referral_partner_id": partner.id, "amount_issued": 1_000_000,
                                           "date_issued": "2026-11-20", "fee_percent": 2})  # fmt: skip
            lead.action_create_invoice()
            lead.invoice_id.action_post()
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=lead.invoice_id.ids
            ).create({})._create_payments()
            lead.act_signed_date = "2026-11-21"
            commission = lead.commission_ids
            self.assertEqual(commission.state, "due")
            env.company.broker_commission_auto_bill = True
            commission_id = commission.id

        cr1, cr2 = self.registry.cursor(), self.registry.cursor()
        try:
            env1, env2 = self._env(cr1), self._env(cr2)
            env1["broker.commission"].browse(commission_id)._sync()
            self.assertEqual(env1["broker.commission"].browse(commission_id).state, "billed")
            # the second transaction skips the row the first one holds
            env2["broker.commission"].browse(commission_id)._sync()
            self.assertFalse(env2["account.move.line"].search([("broker_commission_id", "=", commission_id)]))
            cr1.commit()
            # the second transaction's snapshot predates that bill: PostgreSQL refuses the row and
            # Odoo retries the request or job in a new transaction...
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                env2["broker.commission"].browse(commission_id)._sync()
            cr2.rollback()
            # ...which sees the bill and does nothing
            env2.invalidate_all()
            env2["broker.commission"].browse(commission_id)._sync()
            env2.flush_all()
            lines = env2["account.move.line"].search([("broker_commission_id", "=", commission_id)])
            self.assertEqual(len(lines), 1)
            self.assertEqual(lines.price_unit, 25_000)
            cr2.commit()
        finally:
            cr1.close()
            cr2.close()
