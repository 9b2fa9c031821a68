from . import broker_tenant_restore_wizard
