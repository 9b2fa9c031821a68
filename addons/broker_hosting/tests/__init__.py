from . import test_hosting_access
from . import test_tenant_databases
from . import test_tenant_routing
