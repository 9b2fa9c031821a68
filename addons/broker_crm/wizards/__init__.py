from . import broker_stage_gate_override
