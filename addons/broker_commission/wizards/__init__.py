from . import broker_commission_settle
from . import broker_act_signed
