from itertools import pairwise

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestStageFunnel(BrokerCrmCommon):
    def _counts(self):
        Funnel = self.env["broker.stage.funnel"].with_user(self.user_manager)
        return {row.broker_step: row.deal_count for row in Funnel.search([("stage_id.team_id", "=", self.team.id)])}

    def test_deals_reaching_each_stage(self):
        before = self._counts()
        leads = self._new_deal() | self._new_deal() | self._new_deal()
        leads[:2].write({"stage_id": self.stages["pre_analysis"].id})
        self._end_request()
        self._give_pd_consent(leads[0])
        self._upload_documents(leads[0])
        leads[:1].write({"stage_id": self.stages["documents"].id})
        leads[1].action_set_lost()  # a lost deal still counts for the stages it reached
        self._end_request()
        self.env.invalidate_all()
        after = self._counts()
        delta = {step: after[step] - before.get(step, 0) for step in ("new", "pre_analysis", "documents")}
        self.assertEqual(delta, {"new": 3, "pre_analysis": 2, "documents": 1})
        Funnel = self.env["broker.stage.funnel"].with_user(self.user_manager)
        for previous, row in pairwise(Funnel.search([("stage_id.team_id", "=", self.team.id)])):
            expected = 100.0 * row.deal_count / previous.deal_count if previous.deal_count else 0.0
            self.assertAlmostEqual(row.conversion, expected, places=1)
        with self.assertRaises(AccessError):
            self.env["broker.stage.funnel"].with_user(self.user_agent).search([])
