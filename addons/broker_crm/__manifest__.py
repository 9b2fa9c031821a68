{
    "name": "Credit Broker CRM",
    "summary": "Credit deals from the first call to the issued credit, on CRM leads",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/broker-addons/broker-addons",
    "author": "Broker Addons",
    "license": "LGPL-3",
    "depends": ["crm", "account", "portal"],
    "data": [
        "security/broker_crm_security.xml",
        "security/ir.model.access.csv",
        "views/broker_credit_product_views.xml",
        "views/broker_crm_menus.xml",
    ],
    "demo": [
        "demo/broker_credit_product_demo.xml",
    ],
    "application": True,
    "installable": True,
}
