#!/usr/bin/env python3
"""Run the broker addons' tests inside a real Odoo 18 against PostgreSQL.

Usage: python3 tests/run.py [--addon NAME] [--tags SPEC] [--keep] [-v]

* Odoo is ``$ODOO_BIN`` if set, else ``odoo`` on PATH.
* PostgreSQL is reached through the usual PG* variables / local socket; a
  stopped local Debian cluster is started and a role for the current user is
  created when nothing answers.
* Upstream dependencies are installed once into a template database (keyed
  by Odoo version and dependency list); every run clones it into a fresh
  throwaway database, installs our addons with ``--test-enable`` and drops
  it afterwards (``--keep`` keeps it).
* The last line printed is ``N passed, N failed, N skipped``. The exit code
  is non-zero when a test failed or Odoo logged an ERROR/CRITICAL line (or a
  WARNING about our addons) while installing.
"""

import argparse
import ast
import getpass
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / "addons"
CACHE_DIR = Path(
    os.environ.get("BROKER_TEST_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "broker-addons-tests"
)
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>\S+): (?P<msg>.*)$"
)
# Bump when the way the template is built changes.
TEMPLATE_RECIPE = 2
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


def die(message, code=2):
    print(f"ERROR: {message}", file=sys.stderr)
    sys.exit(code)


def run(cmd, check=True, **kwargs):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kwargs)


# --------------------------------------------------------------------------- odoo
def find_odoo():
    odoo = os.environ.get("ODOO_BIN") or shutil.which("odoo")
    if not odoo:
        die(
            "no Odoo 18 found. Either set ODOO_BIN to an odoo executable "
            "(e.g. ODOO_BIN=/path/to/odoo-bin) or put an 'odoo' executable on PATH "
            "(the official odoo:18.0 Docker image has one, see README)."
        )
    out = run([odoo, "--version"]).stdout.strip()
    match = re.search(r"(\d+\.\d+\S*)\s*$", out)
    if not match or not match.group(1).startswith("18."):
        die(f"'{odoo} --version' printed {out!r}; Odoo 18.0 is required.")
    return odoo, match.group(1)


def odoo_python(odoo):
    """The interpreter that runs Odoo, to check our Python dependencies."""
    if os.environ.get("ODOO_PYTHON"):
        return os.environ["ODOO_PYTHON"]
    try:
        head = Path(odoo).read_text(errors="replace")[:4096]
    except OSError:
        return None
    shebang = re.match(r"#!\s*(\S*python\S*)", head)
    if shebang:
        return shebang.group(1)
    wrapped = re.search(r"exec\s+(\S*python\S*)", head)
    return wrapped.group(1) if wrapped else None


def installed_addons_dirs(python):
    """Folders of addons installed as Python packages (``odoo-addon-*`` from PyPI, e.g. OCA's
    queue_job), so that Odoo and the Odoo processes our addons start find them whatever the
    layout of the Python they were installed into."""
    if not python:
        return []
    code = (
        "import importlib.metadata as m, os\n"
        "for d in m.distributions():\n"
        "    name = (d.metadata['Name'] or '').lower().replace('_', '-')\n"
        "    if name.startswith('odoo-addon-'):\n"
        "        path = os.path.abspath(str(d.locate_file('odoo/addons')))\n"
        "        if os.path.isdir(path):\n"
        "            print(path)\n"
    )
    result = run([python, "-c", code], check=False)
    return sorted(set(result.stdout.split())) if result.returncode == 0 else []


def default_addons_path(odoo):
    """Odoo's own addons path, to which ours is prepended."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp, "odoo.conf")
        run([odoo, "-c", str(conf), "--save", "--stop-after-init"], cwd=tmp)
        for line in conf.read_text().splitlines():
            if line.startswith("addons_path"):
                return line.split("=", 1)[1].strip()
    die("could not read Odoo's default addons path")


# --------------------------------------------------------------------------- addons
def manifests():
    result = {}
    for manifest in sorted(ADDONS_DIR.glob("*/__manifest__.py")):
        result[manifest.parent.name] = ast.literal_eval(manifest.read_text())
    return result


def closure(names, all_manifests):
    """Our addons needed to install ``names`` (dependencies first)."""
    ordered = []

    def visit(name):
        if name in ordered:
            return
        for dep in all_manifests[name].get("depends", []):
            if dep in all_manifests:
                visit(dep)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def check_python_deps(python, all_manifests):
    """Manifest external dependencies (module names) and requirements.txt (distributions)."""
    modules = set()
    for manifest in all_manifests.values():
        modules.update(manifest.get("external_dependencies", {}).get("python", []))
    distributions = set()
    req = ROOT / "requirements.txt"
    if req.exists():
        for line in req.read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                distributions.add(re.split(r"[<>=!~\[; ]", line)[0])
    if not (modules or distributions) or not python:
        return
    code = (
        "import importlib.metadata, importlib.util, sys\n"
        "missing = [m for m in sys.argv[2].split(',') if m and importlib.util.find_spec(m) is None]\n"
        "for d in sys.argv[1].split(','):\n"
        "    try:\n"
        "        importlib.metadata.distribution(d)\n"
        "    except importlib.metadata.PackageNotFoundError:\n"
        "        missing.append(d)\n"
        "print(' '.join(m for m in missing if m))"
    )
    missing = run([python, "-c", code, ",".join(sorted(distributions)), ",".join(sorted(modules))]).stdout.split()
    if missing:
        die(
            f"Python packages missing in Odoo's interpreter ({python}): {', '.join(missing)}. "
            f"Install them with: {python} -m pip install -r requirements.txt"
        )


# --------------------------------------------------------------------------- postgres
def psql(sql, db="postgres", check=True):
    return run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-Atc", sql], check=check)


def ensure_postgres():
    user = os.environ.get("PGUSER") or getpass.getuser()
    if user == "postgres":
        die("refusing to run Odoo as the 'postgres' role; set PGUSER to another role.")
    if not shutil.which("psql"):
        die("the PostgreSQL client (psql, createdb, dropdb) is not installed.")
    if psql("SELECT 1", check=False).returncode == 0:
        return
    if shutil.which("pg_lsclusters"):
        for line in run(["pg_lsclusters", "-h"]).stdout.splitlines():
            version, cluster, _port, status = line.split()[:4]
            if status != "online":
                print(f"Starting PostgreSQL cluster {version}/{cluster} ...")
                run(["pg_ctlcluster", version, cluster, "start"])
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else ["sudo", "-u", "postgres"]
        for _attempt in range(30):
            if run([*as_postgres, "psql", "-Atc", "SELECT 1"], check=False).returncode == 0:
                break
            time.sleep(1)  # the cluster is still starting
        exists = run(
            [*as_postgres, "psql", "-Atc", f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'"],
            check=False,
        ).stdout.strip()
        if not exists:
            print(f"Creating PostgreSQL role {user!r} ...")
            run([*as_postgres, "createuser", "--createdb", user])
    result = psql("SELECT 1", check=False)
    if result.returncode != 0:
        die(f"PostgreSQL does not answer: {result.stderr.strip()}")


def db_exists(name):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip() == "1"


def drop_db(name, data_dir):
    run(["dropdb", "--if-exists", name], check=False)
    shutil.rmtree(data_dir / "filestore" / name, ignore_errors=True)


# --------------------------------------------------------------------------- run
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_cmd(odoo, db, addons_path, data_dir, *extra):
    return [
        odoo,
        "-d", db,
        "--addons-path", addons_path,
        "--data-dir", str(data_dir),
        "--db-filter", f"^{db}$",
        "--http-interface", "127.0.0.1",
        "--http-port", str(free_port()),
        "--workers", "0",
        "--max-cron-threads", "0",
        "--stop-after-init",
        *extra,
    ]  # fmt: skip


def ensure_template(odoo, version, addons_path, data_dir, upstream, rebuild):
    key = hashlib.sha1(f"{TEMPLATE_RECIPE}|{version}|{','.join(sorted(upstream))}".encode()).hexdigest()[:10]
    template = f"broker_tpl_{key}"
    if rebuild:
        drop_db(template, data_dir)
    if db_exists(template):
        return template
    print(f"Building template database {template} with {', '.join(sorted(upstream))} ...")
    building = f"{template}_building_{os.getpid()}"
    drop_db(building, data_dir)
    started = time.time()
    log = data_dir / f"{building}.log"
    with log.open("w") as out:
        proc = subprocess.run(
            odoo_cmd(odoo, building, addons_path, data_dir, "-i", ",".join(sorted(upstream)), "--log-level", "warn"),
            stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        print(log.read_text()[-5000:])
        drop_db(building, data_dir)
        die(f"installing the upstream dependencies failed (log: {log})")
    # Web assets take a minute to build; build them once here so that HttpCase runs reuse them.
    shell = subprocess.run(
        [odoo, "shell", "-d", building, "--addons-path", addons_path, "--data-dir", str(data_dir), "--no-http",
         "--log-level", "warn"],
        input="env['ir.qweb']._pregenerate_assets_bundles()\nenv.cr.commit()\n",
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if shell.returncode != 0:
        print(f"(assets were not prebuilt: {shell.stderr.strip()[-500:]})")
    src = data_dir / "filestore" / building
    if src.exists() and not (data_dir / "filestore" / template).exists():
        src.rename(data_dir / "filestore" / template)
    if psql(f'ALTER DATABASE "{building}" RENAME TO "{template}"', check=False).returncode != 0:
        # another run built the same template meanwhile: use theirs
        drop_db(building, data_dir)
    print(f"Template ready in {time.time() - started:.0f}s.")
    return template


def run_repository_tests():
    """Plain unit tests of the repository itself (compose file, layout)."""
    suite = unittest.defaultTestLoader.discover(
        str(ROOT / "tests"), pattern="test_*.py", top_level_dir=str(ROOT / "tests")
    )
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=1).run(suite)
    return result.testsRun, len(result.failures) + len(result.errors), len(result.skipped)


def interesting(match, addons):
    level, logger, msg = match["level"], match["logger"], match["msg"]
    if level in ("ERROR", "CRITICAL"):
        return True
    if level == "WARNING":
        return any(name in logger or name in msg for name in addons)
    return logger in ("odoo.tests.result", "odoo.tests.stats") or ": skipped " in f": {msg}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--addon", action="append", help="only this addon (repeatable)")
    parser.add_argument("--tags", help="Odoo test tags, e.g. /broker_crm:TestLeadAccess or broker_portal")
    parser.add_argument("--keep", action="store_true", help="keep the test database")
    parser.add_argument("--rebuild-template", action="store_true", help="rebuild the template database")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the whole Odoo log")
    args = parser.parse_args()

    started = time.time()
    all_manifests = manifests()
    selected = args.addon or sorted(all_manifests)
    unknown = [name for name in selected if name not in all_manifests]
    if unknown:
        die(f"unknown addon(s): {', '.join(unknown)}; ours are {', '.join(sorted(all_manifests))}")
    to_install = closure(selected, all_manifests)
    upstream = {
        dep for manifest in all_manifests.values() for dep in manifest.get("depends", []) if dep not in all_manifests
    }

    odoo, version = find_odoo()
    check_python_deps(odoo_python(odoo), all_manifests)
    ensure_postgres()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    (CACHE_DIR / "data").mkdir(exist_ok=True)
    data_dir = CACHE_DIR / "data"
    default_path = default_addons_path(odoo)
    extra = [path for path in installed_addons_dirs(odoo_python(odoo)) if path not in default_path.split(",")]
    addons_path = ",".join([str(ADDONS_DIR), default_path, *extra])

    repo_run, repo_failed, repo_skipped = (0, 0, 0) if (args.addon or args.tags) else run_repository_tests()

    template = ensure_template(odoo, version, addons_path, data_dir, upstream, args.rebuild_template)
    db = f"broker_test_{os.getpid()}"
    drop_db(db, data_dir)
    run(["createdb", "-T", template, db])
    if (data_dir / "filestore" / template).exists():
        shutil.copytree(data_dir / "filestore" / template, data_dir / "filestore" / db)

    tags = args.tags or ",".join(f"/{name}" for name in selected)
    log_path = CACHE_DIR / f"{db}.log"
    print(f"Installing {', '.join(to_install)} into {db} and running tests ({tags}) ...", flush=True)
    counts = {"run": 0, "failed": 0, "errors": 0, "skipped": 0}
    other_errors = []
    result_seen = False
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            odoo_cmd(odoo, db, addons_path, data_dir, "-i", ",".join(to_install), "--test-enable", "--test-tags", tags),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        current = None
        for line in proc.stdout:
            log.write(line)
            match = LOG_LINE.match(line)
            if match:
                current = match
                show = interesting(match, to_install)
                if match["logger"] == "odoo.tests.result" and RESULT.search(match["msg"]):
                    failed, errors, total = map(int, RESULT.search(match["msg"]).groups())
                    counts.update(run=total, failed=failed, errors=errors)
                    result_seen = True
                elif ": skipped " in f": {match['msg']}":
                    counts["skipped"] += 1
                elif match["level"] in ("ERROR", "CRITICAL") and ".tests" not in match["logger"]:
                    if "At least one test failed" not in match["msg"]:
                        other_errors.append(line.strip())
                elif match["level"] == "WARNING" and show:
                    other_errors.append(line.strip())
            else:
                # continuation lines (tracebacks) follow the visibility of their record
                show = (
                    current is not None
                    and current["level"] in ("ERROR", "CRITICAL", "WARNING")
                    and (interesting(current, to_install))
                )
            if args.verbose or show:
                sys.stdout.write(line)
        proc.wait()

    if not args.keep:
        drop_db(db, data_dir)
        log_path.unlink(missing_ok=True)
    else:
        print(f"Kept database {db} (log: {log_path}).")

    if not result_seen:
        other_errors.append(f"Odoo exited with code {proc.returncode} before reporting test results")
    if other_errors:
        print(f"\n{len(other_errors)} error/warning line(s) logged outside tests:")
        for line in other_errors[:20]:
            print(f"  {line[:300]}")
    failed = counts["failed"] + counts["errors"] + repo_failed
    if failed == 0 and (other_errors or proc.returncode != 0):
        failed = 1
    skipped = counts["skipped"] + repo_skipped
    passed = counts["run"] + repo_run - counts["failed"] - counts["errors"] - repo_failed - skipped
    print(f"Finished in {time.time() - started:.0f}s.")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
