from odoo.exceptions import AccessDenied, UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestTenantLimits(TransactionCase):
    """The seat limit and the suspension written by the broker into this database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.admin = cls.env.ref("base.user_admin")
        cls.Users = cls.env["res.users"].with_user(cls.admin).with_context(no_reset_password=True)

    def _new_user(self, login, **vals):
        # Settings → Users → New: the default internal user
        return self.Users.create({"name": login.title(), "login": login, "email": f"{login}@firm.example", **vals})

    def test_no_limit_by_default(self):
        self.assertEqual(self.env["res.users"]._broker_hosting_seat_limit(), 0)
        self._new_user("free_seat")

    def test_seat_limit_blocks_new_and_reactivated_internal_users(self):
        count = self.env["res.users"]._broker_hosting_seat_count()
        self.params.set_param("broker_hosting.seat_limit", str(count + 1))
        last = self._new_user("last_seat")
        self.assertFalse(last.share)
        with self.assertRaisesRegex(UserError, rf"allows {count + 1} active internal users"), self.env.cr.savepoint():
            self._new_user("one_too_many")
        self.assertFalse(self.env["res.users"].search([("login", "=", "one_too_many")]))
        # portal users take no seat
        portal = self._new_user("portal_guest", groups_id=[(6, 0, self.env.ref("base.group_portal").ids)])
        self.assertTrue(portal.share)
        # archiving frees a seat, reactivating beyond the limit is refused
        last.active = False
        other = self._new_user("other_seat")
        with self.assertRaises(UserError), self.env.cr.savepoint():
            last.active = True
        self.assertFalse(last.active)
        # editing a user while at the limit is fine
        other.name = "Other Seat Renamed"

    def test_limit_message_in_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        count = self.env["res.users"]._broker_hosting_seat_count()
        self.params.set_param("broker_hosting.seat_limit", str(count))
        with self.assertRaisesRegex(UserError, "рабочих мест"):
            self.Users.with_context(lang="ru_RU").create({"name": "Ru", "login": "ru_seat"})

    def test_firm_administrator_cannot_change_hosting_parameters(self):
        params = self.env["ir.config_parameter"].with_user(self.admin)
        with self.assertRaises(UserError):
            params.set_param("broker_hosting.seat_limit", "1000")
        with self.assertRaises(UserError):
            params.set_param("broker_hosting.suspended", "")
        params.set_param("some.other.key", "fine")

    def test_suspended_database_refuses_logins_with_the_reason(self):
        user = mail_new_test_user(self.env, login="firm_user", password="firm_user_password_1")
        credential = {"type": "password", "login": "firm_user", "password": "firm_user_password_1"}
        user.with_user(user)._check_credentials(credential, {"interactive": True})
        token = user._compute_session_token("sid")
        self.params.set_param("broker_hosting.suspended", "1")
        self.params.set_param("broker_hosting.suspended_reason", "invoice unpaid")
        with self.assertRaisesRegex(AccessDenied, "suspended by the broker hosting it: invoice unpaid"):
            user.with_user(user)._check_credentials(credential, {"interactive": True})
        self.env.registry.clear_cache()
        self.assertNotEqual(user._compute_session_token("sid"), token, "open sessions end")
        # a wrong password stays a plain refusal
        with self.assertRaises(AccessDenied) as refused:
            user.with_user(user)._check_credentials(dict(credential, password="wrong"), {"interactive": True})
        self.assertEqual(refused.exception.args, AccessDenied().args)
        # resuming restores access and the sessions
        self.params.set_param("broker_hosting.suspended", False)
        self.params.set_param("broker_hosting.suspended_reason", False)
        user.with_user(user)._check_credentials(credential, {"interactive": True})
        self.env.registry.clear_cache()
        self.assertEqual(user._compute_session_token("sid"), token)
