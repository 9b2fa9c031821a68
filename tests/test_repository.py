"""Checks of the repository itself: the compose file and the addons' layout."""

import ast
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

try:
    import yaml
except ImportError:  # pragma: no cover - yaml is in requirements-dev.txt
    yaml = None


class TestRepository(unittest.TestCase):
    @unittest.skipIf(yaml is None, "PyYAML is not installed (pip install -r requirements-dev.txt)")
    def test_compose_mounts_existing_addons_and_config(self):
        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        services = compose["services"]
        self.assertTrue(services["db"]["image"].startswith("postgres:16"))
        odoo = services["odoo"]
        self.assertEqual(odoo["image"], "odoo:18.0")
        self.assertIn("8069:8069", odoo["ports"])
        mounts = {}
        for volume in odoo["volumes"]:
            source, target = volume.split(":")[:2]
            mounts[target] = source
        self.assertTrue((ROOT / mounts["/mnt/extra-addons"]).resolve().samefile(ROOT / "addons"))
        config = ROOT / mounts["/etc/odoo"] / "odoo.conf"
        self.assertTrue(config.is_file())
        self.assertIn("/mnt/extra-addons", config.read_text())
        command = " ".join(odoo["command"]) if isinstance(odoo["command"], list) else odoo["command"]
        for manifest in (ROOT / "addons").glob("*/__manifest__.py"):
            self.assertIn(manifest.parent.name, command, "the compose command installs every addon")

    @unittest.skipIf(yaml is None, "PyYAML is not installed (pip install -r requirements-dev.txt)")
    def test_master_password_comes_from_the_environment(self):
        config = (ROOT / "config" / "odoo.conf").read_text()
        self.assertNotRegex(config, r"(?m)^\s*admin_passwd", "no master password in the repository")
        self.assertRegex(config, r"(?m)^list_db\s*=\s*False$", "the database manager is off")
        compose_text = (ROOT / "docker-compose.yml").read_text()
        self.assertIn("${ODOO_MASTER_PASSWORD:?", compose_text, "compose refuses to start without it")
        odoo = yaml.safe_load(compose_text)["services"]["odoo"]
        self.assertEqual(odoo["command"][:2], ["sh", "-c"])
        # run the container's start script with a stand-in `odoo` that prints its config file
        script = odoo["command"][2].replace("$$", "$")
        with tempfile.TemporaryDirectory() as tmp:
            fake = Path(tmp, "odoo")
            # `odoo shell` reads its script, the first-run install returns, the server prints its config
            fake.write_text(
                '#!/bin/sh\ncase "$*" in shell*) cat >/dev/null; exit 0;; *stop-after-init*) exit 0;; esac\ncat "$2"\n'
            )
            fake.chmod(0o755)
            conf_dir = Path(tmp, "etc")
            conf_dir.mkdir()
            (conf_dir / "odoo.conf").write_text(config)
            script = script.replace("/etc/odoo/odoo.conf", str(conf_dir / "odoo.conf"))
            script = script.replace("/tmp/odoo.conf", str(Path(tmp, "run.conf")))
            script = script.replace("/var/lib/odoo/", f"{tmp}/").replace("/mnt/broker/", f"{ROOT}/")

            def start(password):
                env = {"PATH": f"{tmp}:{os.environ['PATH']}", "ODOO_MASTER_PASSWORD": password}
                return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=False)

            for weak in ("", "admin", "short"):
                with self.subTest(password=weak):
                    self.assertNotEqual(start(weak).returncode, 0)
            started = start("a-long-random-master-password-42")
            self.assertEqual(started.returncode, 0, started.stderr)
            self.assertIn("admin_passwd = a-long-random-master-password-42", started.stdout)
            self.assertIn("list_db = False", started.stdout)
            self.assertTrue(Path(tmp, ".broker-first-run-done").is_file(), "the first run happened once")

    def test_translation_headers_name_odoo(self):
        for path in ROOT.glob("addons/*/i18n/*.po*"):
            head = path.read_text(encoding="utf-8")[:600]
            self.assertIn('"Project-Id-Version: Odoo Server 18.0', head, path)
            self.assertTrue(head.startswith("# Translation of Odoo Server."), path)

    def test_addons_follow_layout(self):
        names = sorted(path.parent.name for path in (ROOT / "addons").glob("*/__manifest__.py"))
        self.assertTrue({"broker_crm", "broker_installments", "broker_monitoring"} <= set(names))
        for name in names:
            addon = ROOT / "addons" / name
            manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
            self.assertRegex(manifest["version"], r"^18\.0\.\d+\.\d+\.\d+$")
            self.assertIn("license", manifest)
            for folder in ("models", "views", "security", "tests", "i18n", "readme"):
                self.assertTrue((addon / folder).is_dir(), f"{name}/{folder} is missing")
            self.assertTrue((addon / "i18n" / "ru.po").is_file(), f"{name} has no Russian translation")
            self.assertTrue((addon / "i18n" / f"{name}.pot").is_file(), f"{name} has no .pot template")
            for data_file in manifest.get("data", []) + manifest.get("demo", []):
                self.assertTrue((addon / data_file).is_file(), f"{name}: {data_file} is missing")
