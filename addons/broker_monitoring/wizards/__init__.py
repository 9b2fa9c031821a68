from . import broker_monitoring_subscribe_wizard
from . import broker_monitoring_import_wizard
