from . import broker_stage_funnel
from . import report_personal_data
