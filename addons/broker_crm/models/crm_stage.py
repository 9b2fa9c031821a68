from odoo import fields, models

# The steps of the partner process, in order. Code reasons about the step of a
# stage, never about its name: users may rename and reorder stages freely.
BROKER_STEPS = [
    ("new", "New request"),
    ("pre_analysis", "Pre-analysis"),
    ("documents", "Documents under analysis"),
    ("range_offered", "Range offered"),
    ("range_agreed", "Range agreed with client"),
    ("contract_data", "Contract data"),
    ("contract", "Contract sent / signed"),
    ("credit_support", "Credit support"),
    ("credit_approved", "Credit approved"),
    ("credit_issued", "Credit issued"),
    ("act_invoice", "Act and invoice"),
    ("closed", "Closed"),
]
STEP_INDEX = {key: index for index, (key, _label) in enumerate(BROKER_STEPS)}


class CrmStage(models.Model):
    _inherit = "crm.stage"

    broker_step = fields.Selection(
        BROKER_STEPS,
        help="Which step of the credit broker process this stage stands for. Checks and automations use it.",
    )
    broker_gate_ids = fields.One2many(
        "broker.stage.gate",
        "stage_id",
        string="Entry Conditions",
        help="What a deal must meet to enter this step. Moving a deal forward checks the conditions of every "
        "step it reaches or skips; moving back is always allowed; a broker manager may override with a reason.",
    )
