from . import test_smoke
from . import test_access
from . import test_analysis_sla
from . import test_contract_pdf
from . import test_deal_flow
from . import test_performance
from . import test_commission
from . import test_commission_concurrency
