from odoo.tools.sql import column_exists, create_column


def pre_init_hook(env):
    """Leads already in the database have no known request time.

    Creating the column before Odoo does keeps it empty for them: otherwise Odoo fills it with
    the default (the installation time) and every old open lead turns overdue for a first
    response and is escalated minutes after the installation.
    """
    if not column_exists(env.cr, "crm_lead", "request_date"):
        create_column(env.cr, "crm_lead", "request_date", "timestamp")
