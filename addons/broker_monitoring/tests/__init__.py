from . import test_smoke
from . import test_connector_http
from . import test_ingest
from . import test_routing
from . import test_access
from . import test_subscription
from . import test_real_transactions
