from odoo import fields, models, tools
from odoo.tools import SQL

from .broker_monitoring_rule import SIGNAL_TYPES
from .broker_monitoring_signal import DEAL_OVER_STEPS
from .broker_monitoring_subscription import REASONS


class BrokerMonitoringFunnelReport(models.Model):
    """One row per signal of a monitored client, with the funnel steps it reached."""

    _name = "broker.monitoring.funnel.report"
    _description = "Monitoring Funnel Report"
    _auto = False
    _order = "date desc"

    date = fields.Date(string="Event Date", readonly=True)
    reason = fields.Selection(REASONS, string="Subscription Reason", readonly=True)
    source = fields.Selection(
        [("manual", "Per client"), ("bulk", "Bulk from deals/contacts"), ("import", "Mass import")],
        readonly=True,
    )
    signal_type = fields.Selection(SIGNAL_TYPES, string="Type", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    subscription_id = fields.Many2one("broker.monitoring.subscription", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    signal_count = fields.Integer(string="Signals", readonly=True)
    contacted_count = fields.Integer(string="Client Contacted", readonly=True)
    reopened_count = fields.Integer(string="Deal Reopened", readonly=True)
    issued_count = fields.Integer(string="Credit Issued", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %s AS (
                SELECT s.id AS id,
                       s.signal_date AS date,
                       s.reason AS reason,
                       sub.source AS source,
                       s.signal_type AS signal_type,
                       s.user_id AS user_id,
                       s.subscription_id AS subscription_id,
                       s.lead_id AS lead_id,
                       1 AS signal_count,
                       CASE WHEN s.contacted THEN 1 ELSE 0 END AS contacted_count,
                       CASE WHEN s.deal_reopened THEN 1 ELSE 0 END AS reopened_count,
                       CASE WHEN s.issue_mark = 'our_bank' OR lead.broker_step IN %s
                            THEN 1 ELSE 0 END AS issued_count
                  FROM broker_monitoring_signal s
                  JOIN broker_monitoring_subscription sub ON sub.id = s.subscription_id
             LEFT JOIN crm_lead lead ON lead.id = s.lead_id
                 WHERE s.active
            )
            """,
                SQL.identifier(self._table),
                DEAL_OVER_STEPS,
            )
        )
