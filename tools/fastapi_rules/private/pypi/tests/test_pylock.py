import pytest
from pylock import Lock, LockError, Package, Wheel, dumps, loads, normalize, repo_name, to_json

SHA = "a" * 64


def sample_lock() -> Lock:
    return Lock(
        requirements_sha256="b" * 64,
        requires_python="==3.13.*",
        environment="python_version == '3.13'",
        packages=(
            Package(
                "uvicorn",
                "0.40.0",
                Wheel("uvicorn-0.40.0-py3-none-any.whl", SHA),
                ("standard",),
                ("annotated-types",),
            ),
            Package(
                "annotated-types", "0.7.0", Wheel("annotated_types-0.7.0-py3-none-any.whl", SHA)
            ),
        ),
    )


def test_names_are_normalized_for_the_index_and_for_bazel():
    assert normalize("Pydantic_Settings") == "pydantic-settings"
    assert normalize("zope.interface") == "zope-interface"
    assert repo_name("Pydantic_Settings") == "pydantic_settings"


def test_round_trip_keeps_every_field_and_sorts_packages():
    lock = sample_lock()
    again = loads(dumps(lock))
    assert again.requirements_sha256 == lock.requirements_sha256
    assert again.requires_python == "==3.13.*"
    assert [p.name for p in again.packages] == ["annotated-types", "uvicorn"]
    assert again.packages[1] == lock.packages[0]


def test_written_lock_is_pep_751_shaped_and_names_no_host():
    text = dumps(sample_lock())
    assert text.splitlines()[1] == 'lock-version = "1.0"'
    assert "[[packages]]" in text
    assert "://" not in text


def test_dependencies_are_pep_751_tables_one_a_line():
    text = dumps(sample_lock())
    assert 'dependencies = [\n  {name = "annotated-types"},\n]' in text
    assert "dependencies = []" in text


def test_json_for_the_extension_is_keyed_by_repo_name():
    decoded = __import__("json").loads(to_json(sample_lock()))
    assert decoded["annotated_types"]["filename"] == "annotated_types-0.7.0-py3-none-any.whl"
    assert decoded["annotated_types"]["dependencies"] == []
    assert decoded["uvicorn"]["dependencies"] == ["annotated_types"]
    assert decoded["uvicorn"]["name"] == "uvicorn"


def test_lock_without_dependencies_must_be_rewritten():
    text = dumps(sample_lock()).replace("dependencies = []\n", "")
    with pytest.raises(
        LockError, match="package annotated-types: 'dependencies' is missing; relock"
    ):
        loads(text)


def test_dependency_missing_from_the_lock_is_refused():
    text = dumps(sample_lock()).replace('{name = "annotated-types"}', '{name = "anyio"}')
    with pytest.raises(
        LockError, match="package uvicorn depends on anyio, which the lock does not have; relock"
    ):
        loads(text)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('lock-version = "1.0"', 'lock-version = "2.0"'), "lock-version"),
        (lambda t: t.replace("a" * 64, "a" * 63, 1), "sha256 of 64 hex digits"),
        (lambda t: t.replace('version = "0.7.0"', "version = 7"), "'version' must be a str"),
        (lambda t: t.replace("[[packages]]", "[[packages", 1), "not valid TOML"),
    ],
)
def test_malformed_locks_are_refused_with_the_place_to_fix(edit, message):
    with pytest.raises(LockError, match=message) as error:
        loads(edit(dumps(sample_lock())), source="third_party/python/pylock.toml")
    assert str(error.value).startswith("third_party/python/pylock.toml")
