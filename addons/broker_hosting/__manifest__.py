{
    "name": "Credit Broker Hosting",
    "summary": "Partner firms' own databases on the broker's server: provisioning, seats billed monthly, "
    "suspension, updates and backups",
    "version": "18.0.1.0.0",
    "category": "Services/Hosting",
    "website": "https://github.com/broker-addons/broker-addons",
    "author": "Broker Addons",
    "license": "LGPL-3",
    "depends": ["account", "mail", "queue_job"],
    "data": [
        "security/broker_hosting_security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "views/broker_hosting_plan_views.xml",
        "views/broker_tenant_views.xml",
        "views/broker_tenant_seat_count_views.xml",
        "wizards/broker_tenant_restore_wizard_views.xml",
        "views/broker_hosting_menus.xml",
    ],
    "demo": [
        "demo/broker_hosting_plan_demo.xml",
    ],
    "installable": True,
    "application": True,
}
