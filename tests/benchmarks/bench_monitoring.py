"""Benchmark of broker_monitoring: ingest and route 15,000 bureau signals.

Run against a database where broker_monitoring is installed:

    odoo shell -d <db> --addons-path=<repo>/addons,<odoo addons> --no-http < tests/benchmarks/bench_monitoring.py

It builds a monitored base of 15,000 clients with random reasons, 90% of them
from a mass import and 10% put on monitoring one by one, then ingests 15,000
signals of random types spread at random over them (fixed seed) through the JSON-lines connector and the real
provider code path (batch insert, prefetch, routing into the inbox, activities
and deals), and compares with a naive per-record loop (search, create and
route one signal at a time with an activity) on a sample. Everything is
rolled back at the end.
Environment: BENCH_SIGNALS (default 15000), BENCH_NAIVE (default 1500),
BENCH_MASS_SHARE (default 0.9; 0 = every client monitored one by one, so every
routed signal gets an activity or a deal: the worst case).
"""

import base64
import json
import os
import random
import time

from odoo import fields

N = int(os.environ.get("BENCH_SIGNALS", "15000"))
N_NAIVE = int(os.environ.get("BENCH_NAIVE", "1500"))
MASS_SHARE = float(os.environ.get("BENCH_MASS_SHARE", "0.9"))
REASONS = ["contract_control", "win_back", "existing", "preparing", "long_pause"]
TYPES = ["application", "credit_issued", "overdue", "credit_closed"]

env = env(context=dict(env.context, tracking_disable=True))  # noqa: F821 - env comes from odoo shell
today = fields.Date.context_today(env["res.users"])
user = env.ref("base.user_admin")


def build_base(prefix, count):
    rng = random.Random(prefix)  # same base on every run
    partners = env["res.partner"].create([{"name": f"{prefix} client {i}"} for i in range(count)])
    env["broker.monitoring.subscription"].with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
        [
            {"partner_id": p.id, "reason": rng.choice(REASONS), "subject_ref": f"{prefix}-{i}", "user_id": user.id,
             "date_start": today, "source": "import" if rng.random() < MASS_SHARE else "manual"}
            for i, p in enumerate(partners)
        ]
    )  # fmt: skip


def items(prefix, count):
    rng = random.Random(f"{prefix}-signals")
    return [
        {"id": f"{prefix}-sig-{i}", "type": rng.choice(TYPES), "subject": f"{prefix}-{rng.randrange(count)}",
         "date": str(today), "creditor": "Bank", "amount": 100000 + i}
        for i in range(count)
    ]  # fmt: skip


def naive(provider, records):
    """One signal at a time: dedup search, subscription search, rule search, create, activity.

    Leads are not created here, so the naive figure is flattering for the loop.
    """
    Signal, Sub, Rule = (
        env["broker.monitoring.signal"],
        env["broker.monitoring.subscription"],
        env["broker.monitoring.rule"],
    )
    activity_type = env.ref("broker_monitoring.mail_activity_type_bureau_signal")
    for item in records:
        if Signal.search_count([("provider_id", "=", provider.id), ("external_id", "=", item["id"])]):
            continue
        sub = Sub.search([("subject_ref", "=", item["subject"])], limit=1)
        rule = Rule.search([("signal_type", "=", item["type"]), ("reason", "=", sub.reason)], limit=1)
        signal = Signal.create({
            "provider_id": provider.id, "external_id": item["id"], "signal_type": item["type"],
            "subject_ref": item["subject"], "signal_date": item["date"], "creditor": item["creditor"],
            "amount": item["amount"], "payload": json.dumps(item), "subscription_id": sub.id,
            "partner_id": sub.partner_id.id, "user_id": sub.user_id.id, "reason": sub.reason,
            "state": "routed" if rule and rule.action != "none" else "not_routed",
        })  # fmt: skip
        if signal.state == "routed" and sub.source != "import":  # mass base: inbox only, as the real routing
            env["mail.activity"].create({
                "res_model_id": env["ir.model"]._get_id(sub._name), "res_id": sub.id,
                "activity_type_id": activity_type.id, "summary": f"Bureau: {item['type']}", "user_id": sub.user_id.id,
            })  # fmt: skip
        env.flush_all()


savepoint = env.cr.savepoint()
try:
    build_base("bench", N)
    build_base("naive", N_NAIVE)
    env.flush_all()
    content = "\n".join(json.dumps(item) for item in items("bench", N)).encode()
    provider = env["broker.monitoring.provider"].create(
        {"name": "Bench file", "connector_type": "jsonl", "page_size": 1000, "import_file": base64.b64encode(content)}
    )
    env.flush_all()
    start = time.perf_counter()
    run = provider._fetch_signals()
    env.flush_all()
    batch_time = time.perf_counter() - start
    batch_rate = run.new_count / batch_time

    naive_provider = provider.copy({"name": "Bench naive"})
    start = time.perf_counter()
    naive(naive_provider, items("naive", N_NAIVE))
    naive_time = time.perf_counter() - start
    naive_rate = N_NAIVE / naive_time

    print(
        f"batch: {run.new_count} signals ({run.routed_count} routed) in {batch_time:.1f}s = {batch_rate:.0f} signals/s"
    )
    print(f"naive: {N_NAIVE} signals in {naive_time:.1f}s = {naive_rate:.0f} signals/s")
    print(f"speed-up: {batch_rate / naive_rate:.1f}x")
finally:
    savepoint.rollback()
    savepoint.close()
    env.cr.rollback()
