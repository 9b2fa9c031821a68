from . import report_partner_upd
