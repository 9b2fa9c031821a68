from . import broker_stage_funnel
