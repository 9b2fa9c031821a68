from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestSmoke(TransactionCase):
    def test_agent_opens_monitoring_and_creates_subscription(self):
        user = mail_new_test_user(self.env, login="mon_agent", groups="broker_crm.group_broker_agent")
        partner = self.env["res.partner"].create({"name": "Client"})
        Subscription = self.env["broker.monitoring.subscription"].with_user(user)
        views = Subscription.get_views([(False, "list"), (False, "form")])
        self.assertEqual(set(views["views"]), {"list", "form"})
        subscription = Subscription.create({"partner_id": partner.id, "reason": "win_back"})
        self.assertEqual(subscription.read(["state"])[0]["state"], "active")
