from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestSmoke(TransactionCase):
    def test_agent_opens_monitoring_and_creates_subscription(self):
        user = mail_new_test_user(self.env, login="mon_agent", groups="broker_crm.group_broker_agent")
        partner = self.env["res.partner"].create({"name": "Client"})
        self.env["broker.consent"].create(
            {"partner_id": partner.id, "kind": "credit_history", "method": "sms",
             "purpose": "Credit history request and bureau monitoring"}
        )  # fmt: skip
        Subscription = self.env["broker.monitoring.subscription"].with_user(user)
        views = Subscription.get_views([(False, "list"), (False, "form")])
        self.assertEqual(set(views["views"]), {"list", "form"})
        subscription = Subscription.create({"partner_id": partner.id, "reason": "win_back"})
        self.assertEqual(subscription.read(["state"])[0]["state"], "active")

    def test_every_screen_opens_for_its_audience(self):
        manager = mail_new_test_user(self.env, login="mon_smoke_manager", groups="broker_crm.group_broker_manager")
        agent = mail_new_test_user(self.env, login="mon_smoke_agent", groups="broker_crm.group_broker_agent")
        screens = {
            "broker_monitoring.broker_monitoring_signal_action": agent,
            "broker_monitoring.broker_monitoring_subscription_action": agent,
            "broker_monitoring.broker_monitoring_funnel_report_action": agent,
            "broker_monitoring.broker_monitoring_subscribe_wizard_action_lead": agent,
            "broker_monitoring.broker_monitoring_provider_action": manager,
            "broker_monitoring.broker_monitoring_run_action": manager,
            "broker_monitoring.broker_monitoring_rule_action": manager,
            "broker_monitoring.broker_monitoring_import_wizard_action": manager,
        }
        for xmlid, user in screens.items():
            action = self.env.ref(xmlid)
            modes = [(False, mode) for mode in action.view_mode.split(",")] + [(False, "search")]
            views = self.env[action.res_model].with_user(user).get_views(modes)
            self.assertTrue(views["views"], xmlid)
            self.env[action.res_model].with_user(user).search([], limit=1)
        lead_form = self.env["crm.lead"].with_user(agent).get_views([(False, "form")])
        self.assertIn("action_put_on_monitoring", lead_form["views"]["form"]["arch"])
