import json
import zipfile
from pathlib import Path

import pytest
from wheel_tool import WheelError, find_url, install

PAGE_URL = "https://index.example/simple/demo/"


def test_finds_file_on_json_page_with_relative_url():
    page = json.dumps(
        {
            "files": [
                {"filename": "demo-1.0.tar.gz", "url": "../../files/demo-1.0.tar.gz"},
                {
                    "filename": "demo-1.0-py3-none-any.whl",
                    "url": "../../files/demo-1.0-py3-none-any.whl",
                },
            ]
        }
    )
    url = find_url(page, PAGE_URL, "demo-1.0-py3-none-any.whl")
    assert url == "https://index.example/files/demo-1.0-py3-none-any.whl"


def test_finds_file_on_html_page_and_drops_hash_fragment():
    page = '<html><body><a href="/f/demo-1.0-py3-none-any.whl#sha256=abc">x</a></body></html>'
    url = find_url(page, PAGE_URL, "demo-1.0-py3-none-any.whl")
    assert url == "https://index.example/f/demo-1.0-py3-none-any.whl"


def test_missing_file_names_the_page():
    with pytest.raises(WheelError, match=r"demo-2\.0-py3-none-any\.whl is not on the index page"):
        find_url('{"files": []}', PAGE_URL, "demo-2.0-py3-none-any.whl")


def make_wheel(directory: Path) -> Path:
    site = directory / "site-packages"
    site.mkdir(parents=True)
    archive = directory / "demo.whl"
    with zipfile.ZipFile(archive, "w") as wheel:
        wheel.writestr("demo/__init__.py", "")
        wheel.writestr(
            "demo-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\nRequires-Dist: anyio\n",
        )
        wheel.writestr("demo-1.0.data/scripts/demo", "#!python\nprint('hi')\n")
        wheel.writestr("demo-1.0.data/purelib/demo_extra.py", "")
    with zipfile.ZipFile(archive) as wheel:
        wheel.extractall(site)
    return site


def test_install_lays_out_data_and_writes_build_file(tmp_path):
    site = make_wheel(tmp_path)
    install(tmp_path, "demo-1.0-py3-none-any.whl", ["pypi_anyio", "pypi_idna"])

    assert (site / "demo_extra.py").is_file()
    assert not list(site.glob("*.data"))
    script = tmp_path / "bin" / "demo"
    assert script.read_text().startswith("#!/usr/bin/env python3\n")
    assert script.stat().st_mode & 0o111
    build = (tmp_path / "BUILD.bazel").read_text()
    assert 'deps = ["@pypi_anyio//:pkg", "@pypi_idna//:pkg"],' in build


def test_install_depends_only_on_the_repositories_it_is_given(tmp_path):
    # The lock is the one source of a wheel's dependencies: its repository must not need
    # the rest of the lock, or adding a package would fetch every wheel again.
    make_wheel(tmp_path)
    install(tmp_path, "demo-1.0-py3-none-any.whl", [])
    assert "deps = []," in (tmp_path / "BUILD.bazel").read_text()
