from . import test_access
from . import test_cadence
from . import test_consultation
from . import test_first_response
from . import test_i18n
from . import test_meeting
from . import test_smoke
