import os
from pathlib import Path

import pytest
from image import Layout


@pytest.fixture(scope="session")
def image() -> Layout:
    return Layout(Path(os.environ["IMAGE"]))


@pytest.fixture(scope="session")
def image_v2() -> Layout:
    return Layout(Path(os.environ["IMAGE_V2"]))


@pytest.fixture(scope="session")
def base_image() -> Layout:
    return Layout(Path(os.environ["BASE_IMAGE"]))
