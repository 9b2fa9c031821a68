from odoo import fields, models, tools

WAITING_SITUATIONS = [
    ("signed_not_submitted", "Signed, Not Yet Submitted"),
    ("waiting_decision", "Submitted, Waiting for a Decision"),
    ("approved_not_issued", "Approved, Not Yet Issued"),
]


class BrokerDealWaitingReport(models.Model):
    """Open deals stuck between the signed contract and the issued credit: one row per deal signed
    and not yet submitted to a bank, one row per bank application waiting for the bank's decision,
    one row per approval not yet issued, with the days the deal has waited since."""

    _name = "broker.deal.waiting.report"
    _description = "Waiting Deals Analysis"
    _auto = False
    _rec_name = "lead_id"
    _order = "days_waiting desc, id"

    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    executor_id = fields.Many2one("res.users", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    bank_id = fields.Many2one("res.bank", readonly=True)
    application_id = fields.Many2one("broker.bank.application", string="Bank Application", readonly=True)
    waiting = fields.Selection(WAITING_SITUATIONS, readonly=True)
    date_since = fields.Date(string="Waiting Since", readonly=True)
    days_waiting = fields.Integer(readonly=True, aggregator="max")
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="The requested amount while the deal waits for a submission or a decision, the approved amount "
        "once approved.",
    )
    currency_id = fields.Many2one("res.currency", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # ids: a deal's own row is odd, an application's row is even, so both stay unique and stable
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                WITH open_deal AS (
                    SELECT lead.id, lead.user_id, lead.executor_id, lead.team_id, lead.company_id,
                           lead.contract_state, lead.bank_submitted, lead.amount_requested,
                           COALESCE(lead.date_contract_signed, lead.contract_date,
                                    lead.create_date::date) AS date_signed
                      FROM crm_lead lead
                      LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                     WHERE lead.active
                       AND lead.type = 'opportunity'
                       AND lead.date_issued IS NULL
                       AND lead.lost_reason_id IS NULL
                       AND NOT COALESCE(stage.is_won, FALSE)
                ),
                situation AS (
                    SELECT deal.id * 2 + 1 AS id, deal.id AS lead_id, NULL::integer AS application_id,
                           NULL::integer AS bank_id, 'signed_not_submitted'::varchar AS waiting,
                           deal.date_signed AS date_since, deal.amount_requested AS amount
                      FROM open_deal deal
                     WHERE deal.contract_state = 'signed' AND NOT COALESCE(deal.bank_submitted, FALSE)
                    UNION ALL
                    SELECT app.id * 2, deal.id, app.id, app.bank_id,
                           CASE WHEN app.state = 'approved' THEN 'approved_not_issued'
                                ELSE 'waiting_decision' END,
                           CASE WHEN app.state = 'approved'
                                THEN COALESCE(app.date_decision, app.date_submitted, app.create_date::date)
                                ELSE COALESCE(app.date_submitted, app.create_date::date) END,
                           CASE WHEN app.state = 'approved' AND COALESCE(app.amount_approved, 0) > 0
                                THEN app.amount_approved ELSE deal.amount_requested END
                      FROM broker_bank_application app
                      JOIN open_deal deal ON deal.id = app.lead_id
                     WHERE app.state IN ('submitted', 'more_docs', 'approved')
                )
                SELECT situation.id, situation.lead_id, situation.application_id, situation.bank_id,
                       situation.waiting, situation.date_since,
                       (NOW() AT TIME ZONE 'UTC')::date - situation.date_since AS days_waiting,
                       situation.amount, deal.user_id, deal.executor_id, deal.team_id, deal.company_id,
                       company.currency_id
                  FROM situation
                  JOIN open_deal deal ON deal.id = situation.lead_id
                  LEFT JOIN res_company company ON company.id = deal.company_id
            )
            """
        )

    def action_open_deal(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
