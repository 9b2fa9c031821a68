from odoo import fields, models, tools
from odoo.tools import SQL


class BrokerFirstResponseReport(models.Model):
    """Median and 90th percentile of the first-response time, per user and per channel."""

    _name = "broker.first.response.report"
    _description = "First Response Report"
    _auto = False
    _order = "dimension, p90_minutes desc"

    dimension = fields.Selection([("user", "Per User"), ("channel", "Per Channel")], readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    channel_id = fields.Many2one("broker.channel", readonly=True)
    lead_count = fields.Integer(string="Answered Leads", readonly=True)
    median_minutes = fields.Float(string="Median (min)", readonly=True, aggregator="max", digits=(16, 1))
    p90_minutes = fields.Float(string="90th Percentile (min)", readonly=True, aggregator="max", digits=(16, 1))
    avg_minutes = fields.Float(string="Average (min)", readonly=True, aggregator="avg", digits=(16, 1))

    def init(self):
        # only answered leads: the stored minutes of a lead still waiting are 0, not NULL
        tools.drop_view_if_exists(self.env.cr, self._table)
        stats = SQL(
            """
            COUNT(*) AS lead_count,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_minutes) AS median_minutes,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_minutes) AS p90_minutes,
            AVG(first_response_minutes) AS avg_minutes
            """
        )
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                    SELECT ROW_NUMBER() OVER () AS id, s.* FROM (
                        SELECT 'user' AS dimension, user_id, NULL::integer AS channel_id, %(stats)s
                          FROM crm_lead
                         WHERE first_response_date IS NOT NULL AND request_date IS NOT NULL
                           AND active AND user_id IS NOT NULL
                         GROUP BY user_id
                        UNION ALL
                        SELECT 'channel' AS dimension, NULL::integer AS user_id, broker_channel_id AS channel_id,
                               %(stats)s
                          FROM crm_lead
                         WHERE first_response_date IS NOT NULL AND request_date IS NOT NULL
                           AND active AND broker_channel_id IS NOT NULL
                         GROUP BY broker_channel_id
                    ) s
                )
                """,
                table=SQL.identifier(self._table),
                stats=stats,
            )
        )
