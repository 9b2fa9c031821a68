from datetime import date, datetime

from odoo.tests import freeze_time, tagged

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestAnalysisSla(BrokerCrmCommon):
    def test_deadline_counts_working_days(self):
        # Friday morning: two working days are Monday and Tuesday
        lead = self._new_deal(date_docs_submitted=datetime(2026, 11, 20, 9, 0))
        self.assertEqual(lead.analysis_deadline.date(), date(2026, 11, 24))
        Lead = self.env["crm.lead"].with_user(self.user_manager)
        with freeze_time("2026-11-24 08:00:00"):
            self.assertNotIn(lead, Lead.search([("analysis_overdue", "=", True)]))
            self.assertIn(lead, Lead.search([("analysis_overdue", "=", False)]))
        with freeze_time("2026-11-25 12:00:00"):
            self.assertIn(lead, Lead.search([("analysis_overdue", "=", True)]))
            lead.invalidate_recordset(["analysis_overdue"])
            self.assertTrue(lead.analysis_overdue)
            lead.with_user(self.user_agent).write({"date_range_given": datetime(2026, 11, 25, 11, 0)})
            self.assertNotIn(lead, Lead.search([("analysis_overdue", "=", True)]))
        self.assertAlmostEqual(lead.analysis_hours, 5 * 24 + 2)

    def test_overdue_analysis_escalates_to_team_leader_once(self):
        lead = self._new_deal(date_docs_submitted=datetime(2026, 11, 20, 9, 0))
        on_time = self._new_deal(date_docs_submitted=datetime(2026, 11, 24, 9, 0))
        activity_type = self.env.ref("broker_crm.mail_activity_type_analysis_overdue")
        with freeze_time("2026-11-25 12:00:00"):
            self.env["crm.lead"]._cron_analysis_overdue()
            self.env["crm.lead"]._cron_analysis_overdue()
        activities = (lead | on_time).activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.res_id, lead.id)
        self.assertEqual(activities.user_id, self.user_leader)
