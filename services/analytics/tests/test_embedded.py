"""When the service starts a throwaway database of its own instead of using a URL."""

import pytest
from servicekit import DatabaseSettings

from services.analytics.main import wants_embedded_database
from services.analytics.settings import Settings

URL = "postgresql://analytics@db.example:5432/analytics"
BAZEL_RUN = {"BUILD_WORKSPACE_DIRECTORY": "/src/fastapi_rules"}


def test_bazel_run_without_a_url_starts_one() -> None:
    assert wants_embedded_database(Settings(), BAZEL_RUN)


def test_tests_and_images_without_a_url_do_not() -> None:
    # There the pool then fails at startup, naming ANALYTICS_DATABASE__URL.
    assert not wants_embedded_database(Settings(), {})


def test_the_setting_asks_for_one_outside_bazel_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYTICS_EMBEDDED_DATABASE", "true")
    assert wants_embedded_database(Settings(), {})


@pytest.mark.parametrize("asked", [True, False])
def test_a_url_always_wins(asked: bool) -> None:
    settings = Settings(database=DatabaseSettings(url=URL), embedded_database=asked)
    assert not wants_embedded_database(settings, BAZEL_RUN)
