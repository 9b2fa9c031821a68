from odoo.tests import tagged

from .common import BrokerCrmCommon

LIST_SPEC = {
    "name": {},
    "contact_name": {},
    "email_from": {},
    "stage_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "executor_id": {"fields": {"display_name": {}}},
    "credit_product_id": {"fields": {"display_name": {}}},
    "amount_requested": {},
    "amount_from": {},
    "amount_to": {},
    "missing_document_count": {},
    "analysis_overdue": {},
    "range_needs_agreement": {},
    "activity_ids": {},
}


@tagged("post_install", "-at_install")
class TestListPerformance(BrokerCrmCommon):
    def test_list_read_query_count_does_not_grow(self):
        """The pipeline list reads 20 or 200 deals with the same number of queries."""
        users = [self.user_agent, self.user_agent2]
        vals = [
            {"name": f"Deal {i}", "type": "opportunity", "team_id": self.team.id, "user_id": users[i % 2].id,
             "credit_product_id": self.product.id, "amount_requested": 1000 + i,
             "amount_from": 900 + i, "amount_to": 2000 + i}
            for i in range(200)
        ]  # fmt: skip
        # no chatter for the fixture itself: the test is about reading
        leads = self.env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True).create(vals)
        Lead = self.env["crm.lead"].with_user(self.user_manager)
        Lead.web_search_read([("id", "in", leads.ids)], LIST_SPEC, limit=1)  # warm the rule and view caches
        for count in (20, 200):
            self.env.invalidate_all()
            with self.assertQueryCount(9):
                records = Lead.web_search_read([("id", "in", leads.ids)], LIST_SPEC, limit=count)
            self.assertEqual(len(records["records"]), count)
