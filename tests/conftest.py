from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_file():
    """A path under ../shared, or a skip where that copy of the reference material is absent."""

    def get(relative: str) -> Path:
        path = SHARED / relative
        if not path.is_file():
            pytest.skip(f"../shared/{relative} is not here")
        return path

    return get
