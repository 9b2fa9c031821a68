# First start of the Docker setup (docker-compose.yml): Russian for the administrator and, while
# Invoicing is not installed yet (Odoo refuses to change the currency once journal items exist),
# a company in Russia keeping its books in roubles.
company = env.ref("base.main_company")
if not env["ir.module.module"].search_count([("name", "=", "account"), ("state", "=", "installed")]):
    rub = env.ref("base.RUB")
    rub.active = True
    company.write({"currency_id": rub.id, "country_id": env.ref("base.ru").id})
env.ref("base.user_admin").write({"lang": "ru_RU", "tz": "Europe/Moscow"})
env.cr.commit()
