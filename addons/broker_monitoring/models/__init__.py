from . import broker_monitoring_subscription
from . import broker_monitoring_provider
from . import broker_monitoring_rule
from . import broker_monitoring_run
from . import broker_monitoring_rejection
from . import broker_monitoring_signal
from . import broker_monitoring_funnel_report
from . import crm_lead
