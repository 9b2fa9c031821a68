{
    "name": "Credit Broker Hosting: Partner Database",
    "summary": "Seat limit and suspension of a partner firm's database hosted by the broker",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tools",
    "website": "https://github.com/broker-addons/broker-addons",
    "author": "Broker Addons",
    "license": "LGPL-3",
    "depends": ["base", "web", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "views/res_users_views.xml",
    ],
    "installable": True,
}
