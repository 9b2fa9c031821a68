#!/bin/sh
# Create the broker's own database on the hosting server: Russian, roubles, our addons and
# broker_hosting (no demo data). Usage: init_broker.sh <database name = first label of its host>
set -e
db="${1:?database name}"
conf=/tmp/init.conf
{ cat /etc/odoo/odoo-hosting.conf; printf '\n[options]\nadmin_passwd = %s\n' "$ODOO_MASTER_PASSWORD"; } > "$conf"
odoo -c "$conf" -d "$db" -i base --load-language ru_RU --without-demo all --stop-after-init --workers 0
odoo shell -c "$conf" -d "$db" --no-http --workers 0 < /mnt/broker/config/first_run.py
odoo -c "$conf" -d "$db" -i account --without-demo all --stop-after-init --workers 0
odoo shell -c "$conf" -d "$db" --no-http --workers 0 < /mnt/broker/config/first_run.py
odoo -c "$conf" -d "$db" --without-demo all --stop-after-init --workers 0 \
    -i broker_crm,broker_installments,broker_monitoring,broker_service,broker_hosting
