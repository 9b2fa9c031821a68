from itertools import pairwise

from odoo import api, fields, models, tools


class BrokerStageFunnel(models.Model):
    """How many deals ever reached each broker stage, and how many of them went on to the next one."""

    _name = "broker.stage.funnel"
    _description = "Broker Stage Conversion"
    _auto = False
    _order = "sequence, id"

    stage_id = fields.Many2one("crm.stage", readonly=True)
    broker_step = fields.Selection(related="stage_id.broker_step")
    sequence = fields.Integer(readonly=True)
    deal_count = fields.Integer(string="Deals Reached", readonly=True)
    conversion = fields.Float(string="Conversion from Previous Stage, %", compute="_compute_conversion", digits=(5, 1))

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # a deal reached a stage if it is there now or the chatter tracked it entering or leaving it
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                WITH history AS (
                    SELECT lead.id AS lead_id, lead.stage_id
                      FROM crm_lead lead
                     WHERE lead.type = 'opportunity'
                    UNION
                    SELECT msg.res_id, unnest(ARRAY[val.old_value_integer, val.new_value_integer])
                      FROM mail_tracking_value val
                      JOIN mail_message msg ON msg.id = val.mail_message_id
                      JOIN ir_model_fields fld ON fld.id = val.field_id
                     WHERE msg.model = 'crm.lead' AND fld.model = 'crm.lead' AND fld.name = 'stage_id'
                )
                SELECT stage.id AS id, stage.id AS stage_id, stage.sequence AS sequence,
                       count(DISTINCT history.lead_id) AS deal_count
                  FROM crm_stage stage
                  LEFT JOIN history ON history.stage_id = stage.id
                 WHERE stage.broker_step IS NOT NULL
                 GROUP BY stage.id, stage.sequence
            )
            """
        )

    @api.depends("deal_count", "sequence")
    def _compute_conversion(self):
        rows = self.search([])
        previous = {}
        for before, row in pairwise(rows):
            previous[row.id] = before.deal_count
        for row in self:
            base = previous.get(row.id)
            row.conversion = 100.0 * row.deal_count / base if base else 0.0
