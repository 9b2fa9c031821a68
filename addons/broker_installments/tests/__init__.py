from . import test_smoke
from . import test_status_flow
from . import test_tasks
from . import test_webhook
from . import test_webhook_http
from . import test_concurrency
from . import test_access_matrix
from . import test_demo
