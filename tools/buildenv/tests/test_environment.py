"""tools/buildenv/environment.sh: the caller's environment, less what the root owns."""

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path("tools/buildenv/environment.sh").resolve()
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def entries(environ: dict[str, str]) -> list[tuple[str, str]]:
    """Runs the filter with exactly ``environ`` and parses its NUL-separated output."""
    out = subprocess.run([SCRIPT], env=environ, capture_output=True, check=True).stdout
    assert out.endswith(b"\0")
    return [tuple(e.decode().split("=", 1)) for e in out[:-1].split(b"\0")]  # type: ignore[misc]


def passed(environ: dict[str, str]) -> dict[str, str]:
    found = entries({"PATH": "/usr/bin:/bin", **environ})
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"a name is given twice: {names}"
    return dict(found)


def test_values_cross_intact():
    crafted = {
        "TEMPLATE_CURRENCY": "EUR",
        "DATABASE_URL": "postgresql://u:p@db/x?sslmode=require&a=b=c",
        "MULTILINE": "two words\nand a line\n",
        "SPACES": "  leading and trailing  ",
        "EMPTY": "",
        "GLOB": "*",
    }
    assert passed(crafted).items() >= crafted.items()


def test_names_a_native_bazel_passes_although_no_shell_could_set_them():
    assert passed({"dotted.name": "1"})["dotted.name"] == "1"


def test_the_root_owns_paths_home_and_user():
    host = {"PATH": "/host/bin:/usr/bin:/bin", "HOME": "/home/dev", "USER": "dev", "LOGNAME": "dev"}
    env = passed(host)
    assert [env[name] for name in host] == [ROOT_PATH, "/root", "root", "root"]


HOST_ONLY = (
    *("LD_LIBRARY_PATH", "LD_BIND_NOW", "PYTHONHOME", "PYTHONPATH", "JAVA_HOME"),
    *("BAZEL_REAL", "BAZEL_SH", "TMPDIR", "TMP", "TEMP", "SHLVL", "PWD", "OLDPWD", "_"),
)


@pytest.mark.parametrize("name", HOST_ONLY)
def test_host_settings_stay_out(name):
    assert name not in passed({name: "/host/only"})


def test_settings_that_name_no_host_path_cross():
    crafted = {"PYTHONUNBUFFERED": "1", "CI": "true", "https_proxy": "http://proxy:3128"}
    assert passed(crafted).items() >= crafted.items()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"LANG": "C.UTF-8"}),
        ({"LANG": "de_DE.UTF-8"}, {"LANG": "C.UTF-8"}),
        ({"LANG": "C.UTF-8"}, {"LANG": "C.UTF-8"}),
        ({"LANG": "C", "LC_ALL": "POSIX"}, {"LANG": "C", "LC_ALL": "POSIX"}),
        (
            {"LC_ALL": "de_DE.UTF-8", "LC_CTYPE": "C.utf8"},
            {"LANG": "C.UTF-8", "LC_CTYPE": "C.utf8"},
        ),
    ],
)
def test_only_locales_the_root_has(given, expected):
    env = passed(given)
    assert {k: v for k, v in env.items() if k == "LANG" or k.startswith("LC_")} == expected


def test_entries_survive_env_i_as_the_launcher_uses_them():
    crafted = {"MULTILINE": "a\nb c", "dotted.name": "x=y", "LD_BIND_NOW": "1"}
    args = [f"{name}={value}" for name, value in entries({"PATH": "/usr/bin:/bin", **crafted})]
    dump = subprocess.run(
        ["env", "-i", "--chdir=/", "--", *args, "env", "-0"],
        capture_output=True,
        check=True,
    ).stdout
    seen = dict(e.decode().split("=", 1) for e in dump[:-1].split(b"\0"))
    assert seen["MULTILINE"] == "a\nb c"
    assert seen["dotted.name"] == "x=y"
    assert "LD_BIND_NOW" not in seen
    assert seen["PATH"] == ROOT_PATH
