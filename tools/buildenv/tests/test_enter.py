"""tools/buildenv/enter.sh refuses, in one line, a machine where it cannot enter the root."""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path("tools/buildenv/enter.sh").resolve()


def enter(tmp_path: Path, *wrapper: str) -> subprocess.CompletedProcess[str]:
    # A root's PATH: chroot is in /usr/sbin, which a test's PATH lacks.
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        [*wrapper, "bash", str(SCRIPT), "version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def setpriv() -> str:
    found = shutil.which("setpriv")
    assert found, "setpriv (util-linux) is not on PATH"
    return found


def test_without_root_it_says_so(tmp_path, setpriv):
    tmp_path.chmod(0o777)
    done = enter(tmp_path, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    assert done.returncode == 1
    assert done.stderr == (
        "tools/bazel: the build environment needs root to create and enter its Debian root: "
        "run 'sudo tools/bazel version', or put Bazel 7.7.1 on PATH\n"
    )


def test_without_cap_sys_admin_it_says_so(tmp_path, setpriv):
    # Root in a container started without --privileged: no mount namespace.
    done = enter(tmp_path, setpriv, "--bounding-set=-sys_admin", "--inh-caps=-sys_admin")
    assert done.returncode == 1
    assert done.stderr == (
        "tools/bazel: cannot make a mount namespace to enter the build root (Operation not "
        "permitted): it needs root with CAP_SYS_ADMIN (in a container: --privileged), or put "
        "Bazel 7.7.1 on PATH\n"
    )
    # Nothing was made before the refusal.
    assert not (tmp_path / ".cache").exists()
