import os

from odoo import api, fields, models

from odoo.addons.queue_job.job import identity_exact


class BrokerTenantRestoreWizard(models.TransientModel):
    _name = "broker.tenant.restore.wizard"
    _description = "Restore a Partner Database Backup"

    tenant_id = fields.Many2one("broker.tenant", string="Partner Database", required=True, ondelete="cascade")
    backup_file = fields.Selection(selection="_selection_backup_file", string="Backup", required=True)
    new_db_name = fields.Char(
        string="New Database",
        required=True,
        help="The backup is restored into this new database, next to the firm's own, with a new identity "
        "(database.uuid). Lowercase latin letters, digits and hyphens.",
    )

    @api.model
    def _selection_backup_file(self):
        tenant = self.env["broker.tenant"].browse(self.env.context.get("default_tenant_id"))
        if not tenant.exists():
            return []
        return [(path, os.path.basename(path)) for path in tenant._backups()]

    def action_restore(self):
        self.ensure_one()
        new_name = (self.new_db_name or "").strip().lower()
        # a wrong name is refused here, before anything is queued
        self.tenant_id._check_restore_name(new_name)
        self.tenant_id.with_delay(
            channel="root.broker_hosting",
            description=self.env._("Restore a backup of %(host)s", host=self.tenant_id.host_name),
            identity_key=identity_exact,
            max_retries=1,
        )._job_restore(self.backup_file, new_name)
        return {"type": "ir.actions.act_window_close"}
