from . import npd_status
