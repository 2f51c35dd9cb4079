import importlib.util
import marshal
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from bytecode import add_bytecode, pyc, python_version_of
from layer import Layer, LayerError

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
# A frozenset constant: marshalled in hash order, so it differs between hash seeds
# unless the seed is fixed.
SOURCE = b'def kind(x):\n    return x in {"alpha", "beta", "gamma", "delta", "epsilon"}\n'


def test_pyc_is_an_unchecked_hash_pyc_naming_the_image_path():
    data = pyc(SOURCE, "/app/pkg/mod.py")
    assert data is not None
    assert data[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, source not checked
    assert data[8:16] == importlib.util.source_hash(SOURCE)
    code = marshal.loads(data[16:])
    assert code.co_filename == "/app/pkg/mod.py"
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["kind"]("beta")


def test_invalid_python_is_skipped():
    assert pyc(b"print 'python 2'\n", "/x.py") is None


def test_pycs_go_to_pycache_beside_their_sources():
    layer = Layer()
    layer.file(f"usr/lib/python{RUNNING}/json/__init__.py", SOURCE)
    layer.file("app/main.py", SOURCE)
    layer.file("app/notes.txt", b"not python")
    layer.file("app/py2.py", b"print 'x'\n")
    assert add_bytecode(layer, lambda path: path.startswith("usr/")) == 1
    tag = sys.implementation.cache_tag
    assert f"usr/lib/python{RUNNING}/json/__pycache__/__init__.{tag}.pyc" in layer.entries
    assert add_bytecode(layer) == 2  # app/main.py now too; invalid Python is left alone
    assert f"app/__pycache__/main.{tag}.pyc" in layer.entries
    assert not any("py2." in path and path.endswith(".pyc") for path in layer.entries)


def test_bytecode_for_another_python_version_is_refused():
    layer = Layer()
    layer.file("usr/lib/python3.9/os.py", SOURCE)
    with pytest.raises(LayerError, match=r"Python 3\.9 cannot be written by Python 3\.\d+"):
        add_bytecode(layer)


def test_python_version_of():
    assert python_version_of("usr/lib/python3.13/json/x.py") == "3.13"
    assert python_version_of("app/service.runfiles/_main/x.py") is None


def _layer_bytes(tmp_path: Path, seed: str) -> bytes:
    """Writes a bytecode layer in a new process whose hash seed is ``seed``."""
    source = tmp_path / "mod.py"
    source.write_bytes(SOURCE)
    spec = tmp_path / "spec.json"
    spec.write_text(f'{{"files": [["app/mod.py", "{source}"]]}}')
    output = tmp_path / f"layer-{seed}.tar.gz"
    tool = Path(__file__).parent.parent / "oci_tool.py"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run(
        [
            sys.executable,
            str(tool),
            "layer",
            "--spec",
            str(spec),
            "--output",
            str(output),
            "--bytecode",
        ],
        check=True,
        env=env,
    )
    return output.read_bytes()


def test_layers_with_bytecode_are_identical_whatever_the_callers_hash_seed(tmp_path):
    first = _layer_bytes(tmp_path, "1")
    assert first == _layer_bytes(tmp_path, "2") == _layer_bytes(tmp_path, "random")
    with tarfile.open(tmp_path / "layer-1.tar.gz") as tar:
        assert any(name.endswith(".pyc") for name in tar.getnames())
