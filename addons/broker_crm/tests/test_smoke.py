from odoo.tests import tagged

from .common import BrokerCrmCommon


@tagged("post_install", "-at_install")
class TestSmoke(BrokerCrmCommon):
    def test_manager_opens_products_and_creates_one(self):
        action = self.env.ref("broker_crm.broker_credit_product_action")
        Product = self.env["broker.credit.product"].with_user(self.user_manager)
        views = Product.get_views([(False, "list"), (False, "form"), (False, "search")])
        self.assertEqual(set(views["views"]), {"list", "form", "search"})
        self.assertEqual(action.res_model, "broker.credit.product")
        product = Product.create({"name": "Mortgage", "code": "MORTGAGE_T"})
        self.assertEqual(product.read(["name"])[0]["name"], "Mortgage")
