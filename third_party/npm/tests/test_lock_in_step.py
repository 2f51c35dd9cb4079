"""package-lock.json is what `npm install --package-lock-only` makes of package.json."""

import json
import os
from pathlib import Path

MANIFEST = json.loads(Path(os.environ["PACKAGE_JSON"]).read_text(encoding="utf-8"))
LOCK = json.loads(Path(os.environ["PACKAGE_LOCK"]).read_text(encoding="utf-8"))
RELOCK = "relock with: cd third_party/npm && npm install --package-lock-only --ignore-scripts"


def test_lock_records_the_manifest_dependencies():
    root = LOCK["packages"][""]
    for kind in ("dependencies", "devDependencies"):
        assert root.get(kind, {}) == MANIFEST.get(kind, {}), RELOCK


def test_every_pinned_package_is_locked_at_its_version_with_integrity():
    wanted = MANIFEST.get("dependencies", {}) | MANIFEST.get("devDependencies", {})
    for name, version in wanted.items():
        entry = LOCK["packages"].get(f"node_modules/{name}")
        assert entry is not None, f"{name} is not in package-lock.json; {RELOCK}"
        assert entry["version"] == version, f"{name}: pin exact versions in package.json"
        assert entry["integrity"].startswith("sha512-")


def test_lock_names_no_registry_host():
    for path, entry in LOCK["packages"].items():
        assert "resolved" not in entry, f"{path} records its registry URL; keep .npmrc"
