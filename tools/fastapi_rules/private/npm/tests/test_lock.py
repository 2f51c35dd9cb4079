"""The npm lock check: a package-lock.json that is not the lock of its package.json fails."""

import json

from lock import main, problems

MANIFEST = {"dependencies": {"express": "5.3.0"}, "devDependencies": {"eslint": "^10.0.0"}}


def lock(**changes):
    document = {
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"express": "5.3.0"}, "devDependencies": {"eslint": "^10.0.0"}},
            "node_modules/express": {"version": "5.3.0", "integrity": "sha512-x"},
            "node_modules/eslint": {"version": "10.1.0", "integrity": "sha512-y", "dev": True},
            "node_modules/eslint/node_modules/bundled": {"version": "1.0.0", "inBundle": True},
        },
    }
    document.update(changes)
    return document


def test_a_current_lock_has_no_problems():
    assert problems(MANIFEST, lock()) == []


def test_a_dependency_changed_in_package_json():
    manifest = {**MANIFEST, "dependencies": {"express": "5.3.0", "pg": "8.23.1"}}
    assert problems(manifest, lock()) == [
        "package.json's dependencies differ from the lock's: pg",
        "pg is not in the lock",
    ]


def test_registry_urls_and_missing_hashes_are_reported():
    document = lock()
    document["packages"]["node_modules/express"] = {
        "version": "5.3.0",
        "resolved": "https://registry.example/express/-/express-5.3.0.tgz",
        "integrity": "sha1-abc",
    }
    assert problems(MANIFEST, document) == [
        "node_modules/express has no sha512 integrity hash",
        "node_modules/express records the registry URL it came from",
    ]


def test_an_older_lockfile_version():
    assert problems(MANIFEST, lock(lockfileVersion=2)) == ["its lockfileVersion is 2, not 3"]


def test_check_names_the_relock_command(tmp_path, monkeypatch, capsys):
    (tmp_path / "package.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "package-lock.json").write_text(json.dumps(lock(lockfileVersion=2)))
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    args = ["--package-json", "package.json", "--output", "package-lock.json", "--check"]
    assert main([*args, "--relock-command", "bazel run //x:lock"]) == 1
    assert "relock with: bazel run //x:lock" in capsys.readouterr().err
    (tmp_path / "package-lock.json").write_text(json.dumps(lock()))
    assert main(args) == 0


def test_the_lock_must_sit_beside_package_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    assert main(["--package-json", "a/package.json", "--output", "b/package-lock.json"]) == 1
    assert "must be the package-lock.json beside a/package.json" in capsys.readouterr().err
