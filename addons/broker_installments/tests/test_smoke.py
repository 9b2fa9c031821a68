from odoo.tests import TransactionCase, tagged

from .common import new_sales_user


@tagged("post_install", "-at_install")
class TestSmoke(TransactionCase):
    def test_sales_manager_opens_providers_and_creates_one(self):
        user = new_sales_user(self.env, "inst_manager", "manager")
        Provider = self.env["broker.installment.provider"].with_user(user)
        views = Provider.get_views([(False, "list")])
        self.assertIn("list", views["views"])
        provider = Provider.create({"name": "Bank A", "code": "BANK_A"})
        self.assertEqual(provider.read(["code"])[0]["code"], "BANK_A")
