{
    "name": "Credit Broker Monitoring",
    "summary": "Credit-bureau monitoring of clients: signals pulled on a schedule and routed into work",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/broker-addons/broker-addons",
    "author": "Broker Addons",
    "license": "LGPL-3",
    "depends": ["broker_crm"],
    "data": [
        "security/ir.model.access.csv",
        "views/broker_monitoring_subscription_views.xml",
    ],
    "demo": [
        "demo/broker_monitoring_subscription_demo.xml",
    ],
    "installable": True,
}
