from . import test_tenant_limits
