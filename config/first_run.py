# ruff: noqa: F821 - `env` is given by `odoo shell`
# First start of the Docker setup (docker-compose.yml), run before and after Invoicing is
# installed: the company is in Russia (so Invoicing loads no US sample invoices) and keeps its
# books in roubles (Odoo only allows changing the currency while no journal item exists, and the
# generic chart of accounts sets US dollars), and the administrator works in Russian.
company = env.ref("base.main_company")
booked = "account.move.line" in env and env["account.move.line"].search_count([("company_id", "=", company.id)])
if not booked:
    rub = env.ref("base.RUB")
    rub.active = True
    company.write({"currency_id": rub.id, "country_id": env.ref("base.ru").id})
env.ref("base.user_admin").write({"lang": "ru_RU", "tz": "Europe/Moscow"})
env.cr.commit()
