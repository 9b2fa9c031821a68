from odoo import api, models
from odoo.exceptions import UserError


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_deal_documents(self):
        # Documents of a deal are evidence (contracts, acts, statements): only administrators remove them.
        # sudo: reads just the owner model of attachments the user asked to delete.
        if (
            not self.env.su
            and not self.env.user._is_admin()
            and any(att.res_model == "crm.lead" for att in self.sudo())
        ):
            raise UserError(self.env._("Documents of a deal cannot be deleted; only an administrator can remove them."))
