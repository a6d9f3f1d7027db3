"""Release folders: data/clean switches from one complete dataset to the next in one step.

    data/clean/releases/<release_id>/   one complete dataset (tables, datapackage.json, release.json, run.json)
    data/clean/current                  relative symlink -> releases/<release_id>, replaced by rename
    data/clean/CURRENT                  the same id as text (platforms without symlinks), replaced by rename

A run builds its dataset in `releases/.tmp-<id>-<random>/`, syncs it, renames it to
`releases/<id>/` and then points `current` at it (os.replace of a new symlink: readers see the old
dataset or the new one, never a mix). A killed run leaves only a `.tmp-*` folder or `*.tmp` file,
removed by the next run. The last `keep` releases are kept (the current one always).
release_id is the UTC date-time YYYYMMDDTHHMMSSZ (with -2, -3… when taken).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from pipeline.dataset.export import sync_dirs

RELEASES = "releases"
CURRENT_LINK = "current"
CURRENT_FILE = "CURRENT"
TMP_PREFIX = ".tmp-"
DEFAULT_KEEP = 5
_RELEASE_ID = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


class ReleaseError(Exception):
    """A release folder could not be made or published (one line)."""


def new_release_id(clean: Path, now: float | None = None) -> str:
    base = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    taken = {p.name for p in (clean / RELEASES).iterdir()} if (clean / RELEASES).is_dir() else set()
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def start_release(clean_dir: str | os.PathLike[str]) -> tuple[str, Path]:
    """(release_id, the temporary folder to build it in); removes what a killed run left first."""
    clean = Path(clean_dir)
    try:
        (clean / RELEASES).mkdir(parents=True, exist_ok=True)
        remove_leftovers(clean)
        release_id = new_release_id(clean)
        building = clean / RELEASES / f"{TMP_PREFIX}{release_id}-{secrets.token_hex(4)}"
        building.mkdir()
    except OSError as exc:
        raise ReleaseError(f"{clean}: cannot create a release folder: {exc.strerror or exc}") from exc
    return release_id, building


def remove_leftovers(clean: Path) -> list[Path]:
    """Temporary release folders and *.tmp files of runs that did not finish."""
    removed = []
    for folder in (clean, clean / RELEASES):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.startswith(TMP_PREFIX) or (path.name.endswith(".tmp") and path.name.startswith(".")):
                _remove(path)
                removed.append(path)
    return removed


def publish(clean_dir: str | os.PathLike[str], building: Path, release_id: str, keep: int = DEFAULT_KEEP) -> Path:
    """Make the built folder the current release in one step; prune old releases beyond `keep`."""
    clean = Path(clean_dir)
    final = clean / RELEASES / release_id
    try:
        _sync_tree(building)
        os.replace(building, final)
        _sync(clean / RELEASES)
        _point_current(clean, release_id)
    except OSError as exc:
        raise ReleaseError(f"{final}: cannot publish the release: {exc.strerror or exc}") from exc
    prune(clean, keep)
    return final


def _point_current(clean: Path, release_id: str) -> None:
    token = secrets.token_hex(4)
    text_tmp = clean / f".{CURRENT_FILE}.{token}.tmp"
    text_tmp.write_text(release_id + "\n", encoding="utf-8")
    link_tmp = clean / f".{CURRENT_LINK}.{token}.tmp"
    try:
        os.symlink(f"{RELEASES}/{release_id}", link_tmp, target_is_directory=True)
    except (OSError, NotImplementedError):
        link_tmp = None  # no symlinks here: CURRENT alone says which release is current
    if link_tmp is not None:
        os.replace(link_tmp, clean / CURRENT_LINK)
    os.replace(text_tmp, clean / CURRENT_FILE)
    _sync(clean)


def current_release(clean_dir: str | os.PathLike[str]) -> Path | None:
    """The folder of the current release, or None when clean_dir has none."""
    clean = Path(clean_dir)
    link = clean / CURRENT_LINK
    if link.is_dir():
        return link
    text = clean / CURRENT_FILE
    with contextlib.suppress(OSError):
        release_id = text.read_text(encoding="utf-8").strip()
        if _RELEASE_ID.match(release_id) and (clean / RELEASES / release_id).is_dir():
            return clean / RELEASES / release_id
    return None


def current_release_id(clean_dir: str | os.PathLike[str]) -> str | None:
    folder = current_release(clean_dir)
    return None if folder is None else folder.resolve().name


def release_ids(clean_dir: str | os.PathLike[str]) -> list[str]:
    """Complete releases, oldest first."""
    folder = Path(clean_dir) / RELEASES
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if _RELEASE_ID.match(p.name) and p.is_dir()), key=_order)


def _order(release_id: str) -> tuple[str, int]:
    base, _, n = release_id.partition("-")
    return base, int(n or 1)


def prune(clean: Path, keep: int) -> list[str]:
    current = current_release_id(clean)
    ids = release_ids(clean)
    old = [r for r in ids[: max(0, len(ids) - max(keep, 1))] if r != current]
    for release_id in old:
        _remove(clean / RELEASES / release_id)
    return old


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _sync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    _sync(folder)


def _sync(directory: Path) -> None:
    sync_dirs([directory])
