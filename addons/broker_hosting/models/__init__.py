from . import broker_hosting_plan
from . import broker_tenant
from . import broker_tenant_seat_count
from . import account_move
