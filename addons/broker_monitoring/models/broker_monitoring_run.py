from odoo import api, fields, models


class BrokerMonitoringRun(models.Model):
    _name = "broker.monitoring.run"
    _description = "Monitoring Fetch Run"
    _order = "id desc"

    provider_id = fields.Many2one("broker.monitoring.provider", required=True, index=True, ondelete="cascade")
    date_start = fields.Datetime(string="Started", required=True, default=fields.Datetime.now)
    date_end = fields.Datetime(string="Finished")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed"), ("interrupted", "Interrupted")],
        default="running",
        required=True,
    )
    cursor_start = fields.Char(string="Position at Start")
    cursor_end = fields.Char(string="Position Reached")
    page_count = fields.Integer(string="Pages")
    fetched_count = fields.Integer(string="Fetched")
    new_count = fields.Integer(string="New")
    duplicate_count = fields.Integer(string="Duplicates")
    rejected_count = fields.Integer(string="Rejected")
    routed_count = fields.Integer(string="Routed")
    error_count = fields.Integer(string="Errors", help="Failed requests, retried ones included.")
    message = fields.Text()
    rejection_ids = fields.One2many("broker.monitoring.rejection", "run_id", string="Rejected Signals")

    @api.depends("provider_id", "date_start")
    def _compute_display_name(self):
        for run in self:
            run.display_name = f"{run.provider_id.name or ''} {fields.Datetime.to_string(run.date_start) or ''}"

    def _add_counts(self, **counts):
        """Counters grow with every committed chunk."""
        self.ensure_one()
        self.write({name: self[name] + value for name, value in counts.items()})
