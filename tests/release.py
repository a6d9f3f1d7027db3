"""Tests read a run's tables through the current release (data/clean/current -> releases/<id>)."""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset.release_dirs import current_release


def current(clean: str | Path) -> Path:
    """The folder of clean's current release; fails the test when there is none."""
    folder = current_release(clean)
    if folder is None:
        raise AssertionError(f"{clean}: no current release")
    return folder
