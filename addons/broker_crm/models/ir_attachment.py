from odoo import api, models
from odoo.exceptions import UserError


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _broker_deal_files(self):
        # sudo: reads just the owner model of the attachments the user acts on
        return self.sudo().filtered(lambda att: att.res_model == "crm.lead")

    def _broker_may_remove_deal_files(self):
        return self.env.su or self.env.user._is_admin()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_deal_documents(self):
        # Documents of a deal are evidence (contracts, acts, statements): only administrators remove them.
        if not self._broker_may_remove_deal_files() and self._broker_deal_files():
            raise UserError(self.env._("Documents of a deal cannot be deleted; only an administrator can remove them."))

    def write(self, vals):
        # A file moved off its deal could then be deleted: files of a deal stay with it.
        if ("res_model" in vals or "res_id" in vals) and not self._broker_may_remove_deal_files():
            moved = self._broker_deal_files().filtered(
                lambda att: (
                    vals.get("res_model", att.res_model) != "crm.lead"
                    or ("res_id" in vals and vals["res_id"] != att.res_id)
                )
            )
            if moved:
                raise UserError(self.env._("Files of a deal stay with the deal; only an administrator can move them."))
        return super().write(vals)
