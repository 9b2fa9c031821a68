from odoo import models


class PortalWizardUser(models.TransientModel):
    _inherit = "portal.wizard.user"

    def _broker_check_partner_access_grant(self):
        # Portal access to a referral partner's contact opens every deal the partner referred.
        if self.partner_id._broker_referral_entities() and not self.env["res.partner"]._broker_is_partner_admin():
            self.env["res.partner"]._broker_refuse_partner_change()

    def action_grant_access(self):
        self._broker_check_partner_access_grant()
        return super().action_grant_access()

    def action_invite_again(self):
        self._broker_check_partner_access_grant()
        return super().action_invite_again()

    def action_revoke_access(self):
        self._broker_check_partner_access_grant()
        return super().action_revoke_access()
