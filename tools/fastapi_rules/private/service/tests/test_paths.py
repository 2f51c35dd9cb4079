"""fastapi_service's manifest, image labels and image test name the paths servicekit
serves: the two sides of the contract agree (service.bzl cannot import servicekit.paths)."""

import json
import os
from pathlib import Path

from servicekit import paths

MANIFEST = json.loads(Path(os.environ["MANIFEST"]).read_text())


def test_manifest_paths_are_servicekits():
    assert MANIFEST["health"] == {"live": paths.LIVE_PATH, "ready": paths.READY_PATH}
    assert MANIFEST["metrics_path"] == paths.METRICS_PATH
