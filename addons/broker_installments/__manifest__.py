{
    "name": "Credit Broker Installments",
    "summary": "Installment applications on orders turned into manager tasks and follow-up letters",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/broker-addons/broker-addons",
    "author": "Broker Addons",
    "license": "LGPL-3",
    "depends": ["sale_crm"],
    "data": [
        "security/ir.model.access.csv",
        "views/broker_installment_provider_views.xml",
    ],
    "demo": [
        "demo/broker_installment_provider_demo.xml",
    ],
    "installable": True,
}
