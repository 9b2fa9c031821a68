"""Checks of the repository itself: the compose file and the addons' layout."""

import ast
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
