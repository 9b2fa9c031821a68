from . import broker_monitoring_subscription
