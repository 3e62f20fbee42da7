import pytest


@pytest.fixture
def doc() -> str:
    return "# Title\n\nSome words here.\n\n## Part two\ntext"
