"""What a release is and what changed since the previous one (dataset code: the content, not the folders).

- `release_notes(previous, new)` compares two datasets (folders or frames) and gives the text of
  `CHANGES.md` and the dict of `release.json`: id, creation time, tool and parser versions, row
  counts, and the changes: reports added / removed / changed, cells whose value changed.
- `check_shrink(previous_count, new_count, allow_shrink)` refuses a release that would drop more
  than 10% of the previous release's reports (an empty raw folder included): `ShrinkRefused`, one line.

A report is matched across releases by its document: the URL it was fetched from when it was crawled,
else its path under the raw folder. The same document with new bytes (a new version on the site) is
"changed" (new report_id), as is one whose numbers were read differently (a new parser): its cells
whose value, amount or kind differ are listed. The release folders themselves (data/clean/releases/<id>/,
the `current` pointer, keeping the last N) are the engine's (pipeline.engine / export).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

SHRINK_LIMIT = 0.10  # a release may drop at most this share of the previous release's reports
CHANGES_FILE = "CHANGES.md"
RELEASE_FILE = "release.json"
LISTED = 200  # rows of each list shown in CHANGES.md (release.json has them all, cells up to MAX_CELLS)
MAX_CELLS = 10000
CELL_FIELDS = ("value", "amount", "kind")
Frames = dict[str, pd.DataFrame]


class ShrinkRefused(Exception):
    """This run would drop too many of the published reports; nothing is published. One line."""


def check_shrink(previous_reports_count: int | None, new_reports_count: int, allow_shrink: bool = False) -> None:
    """Raise ShrinkRefused when the new release has over 10% fewer reports than the previous one."""
    previous = previous_reports_count or 0
    dropped = previous - new_reports_count
    if allow_shrink or previous == 0 or dropped <= previous * SHRINK_LIMIT:
        return
    raise ShrinkRefused(f"not published: this run has {new_reports_count} reports, {dropped} fewer than the "
                        f"{previous} of the current release (over {SHRINK_LIMIT:.0%}); the current release "
                        "stays (--allow-shrink publishes it anyway)")


def reports_count(dataset_dir: str | os.PathLike[str] | None) -> int | None:
    """Rows of a published dataset's `reports` table (None when there is none)."""
    if dataset_dir is None:
        return None
    folder = Path(dataset_dir)
    if (folder / "reports.parquet").is_file():
        return pq.ParquetFile(folder / "reports.parquet").metadata.num_rows
    if (folder / "reports.csv").is_file():
        return len(pd.read_csv(folder / "reports.csv", usecols=["report_id"], encoding="utf-8-sig"))
    return None


def new_release_id(now: datetime | None = None, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """UTC date-time `YYYYMMDDTHHMMSSZ`, with `-2`, `-3`… when that id is taken."""
    base = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}-{n}"
    return found


def tool_versions() -> dict[str, str | None]:
    """The package version, the parsers' version (parsers.__version__ where set, else the package's), Python."""
    import parsers

    try:
        package = importlib.metadata.version("nianbao")
    except importlib.metadata.PackageNotFoundError:
        package = None
    return {"nianbao": package, "parsers": getattr(parsers, "__version__", None) or package,
            "python": platform.python_version()}


# ---- reading the two sides --------------------------------------------------------------------


def _table(source: str | os.PathLike[str] | Frames | None, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The columns of one table that exist (others null), from frames or a folder (parquet, else csv)."""
    if source is None:
        frame = pd.DataFrame()
    elif isinstance(source, dict):
        frame = source.get(name, pd.DataFrame())
    else:
        frame = _read(Path(source), name, columns)
    return pd.DataFrame({c: frame[c].astype(object) if c in frame else pd.Series(None, index=frame.index, dtype=object)
                         for c in columns})


def _read(folder: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    if (folder / f"{name}.parquet").is_file():
        present = set(pq.read_schema(folder / f"{name}.parquet").names)
        return pd.read_parquet(folder / f"{name}.parquet", columns=[c for c in columns if c in present])
    if (folder / f"{name}.csv").is_file():
        return pd.read_csv(folder / f"{name}.csv", usecols=lambda c: c in columns, dtype=str,
                           keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    return pd.DataFrame()


REPORT_COLUMNS = ("report_id", "source", "url", "agency", "year", "error")
CELL_COLUMNS = ("report_id", "key", *CELL_FIELDS)


def _documents(reports: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """document (URL, else source) -> its report row (the first, for a document read twice)."""
    found: dict[str, dict[str, Any]] = {}
    for row in reports.to_dict("records"):
        row = {k: (None if _isna(v) else v) for k, v in row.items()}
        found.setdefault(row["url"] or row["source"] or row["report_id"], row)
    return found


def _isna(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, dict, str)) and bool(pd.isna(value)))


# ---- the comparison -----------------------------------------------------------------------------


def compare(previous: str | os.PathLike[str] | Frames | None, new: str | os.PathLike[str] | Frames) -> dict[str, Any]:
    """{"added", "removed", "changed": [report summaries], "cells": [changed cells], "cells_changed": n}."""
    old_docs = _documents(_table(previous, "reports", REPORT_COLUMNS))
    new_docs = _documents(_table(new, "reports", REPORT_COLUMNS))
    pairs = [(old_docs[d]["report_id"], new_docs[d]["report_id"]) for d in new_docs if d in old_docs]
    old_digest, new_digest = _digests(previous) if pairs else {}, _digests(new) if pairs else {}
    differ = [(a, b) for a, b in pairs if a != b or old_digest.get(a) != new_digest.get(b)]
    old_cells = _cells(_cells_of(previous, {a for a, _ in differ}))
    new_cells = _cells(_cells_of(new, {b for _, b in differ}))
    added = [_summary(d, new_docs[d]) for d in new_docs if d not in old_docs]
    removed = [_summary(d, old_docs[d]) for d in old_docs if d not in new_docs]
    changed, cells = [], []
    for doc in (d for d in new_docs if d in old_docs):
        before, after = old_docs[doc], new_docs[doc]
        diff = cell_changes(old_cells.get(before["report_id"], {}), new_cells.get(after["report_id"], {}))
        if diff or before["report_id"] != after["report_id"] or before["error"] != after["error"]:
            how = "new version" if before["report_id"] != after["report_id"] else "read differently"
            changed.append(_summary(doc, after) | {"previous_report_id": before["report_id"], "how": how,
                                                   "cells_changed": len(diff)})
        cells += [_summary(doc, after) | c for c in diff]
    return {"added": _sorted(added), "removed": _sorted(removed), "changed": _sorted(changed),
            "cells": _sorted(cells), "cells_changed": len(cells)}


def _digests(source: str | os.PathLike[str] | Frames | None) -> dict[str, int]:
    """report_id -> a hash of its cells, read a batch at a time: documents whose cells hash alike are
    not compared cell by cell (a different hash only means they are: a representation that differs
    costs time, never truth)."""
    found: dict[str, int] = {}
    for cells in _cell_batches(source):
        hashed = pd.util.hash_pandas_object(cells[list(CELL_COLUMNS[1:])].astype("string"), index=False)
        for rid, h in hashed.groupby(cells["report_id"].to_numpy()).sum().items():
            found[rid] = (found.get(rid, 0) + int(h)) % 2**64
    return found


def _cell_batches(source: str | os.PathLike[str] | Frames | None) -> Iterator[pd.DataFrame]:
    """The cells table in batches (a release's Parquet file is never read whole)."""
    path = Path(source) / "cells.parquet" if source is not None and not isinstance(source, dict) else None
    if path is not None and path.is_file():
        present = set(pq.read_schema(path).names)
        for batch in pq.ParquetFile(path).iter_batches(columns=[c for c in CELL_COLUMNS if c in present],
                                                       batch_size=200_000):
            yield _table({"cells": batch.to_pandas()}, "cells", CELL_COLUMNS)
    else:
        yield _table(source, "cells", CELL_COLUMNS)


def _cells_of(source: str | os.PathLike[str] | Frames | None, report_ids: set[str]) -> pd.DataFrame:
    """The cells of these reports only."""
    if not report_ids:
        return _table(None, "cells", CELL_COLUMNS)
    parts = [b[b["report_id"].isin(report_ids)] for b in _cell_batches(source)]
    return pd.concat(parts, ignore_index=True)


def _cells(cells: pd.DataFrame) -> dict[str, dict[str, tuple]]:
    """report_id -> {cell key: (value, amount, kind)}."""
    found: dict[str, dict[str, tuple]] = {}
    for rid, key, *fields in cells.itertuples(index=False, name=None):
        found.setdefault(rid, {})[key] = tuple(None if _isna(f) else _plain(f) for f in fields)
    return found


def _plain(value: Any) -> Any:
    """Numbers compared as numbers whatever the reader gave (int, float, numpy, text from a CSV)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if hasattr(value, "item"):
        value = value.item()
    return int(value) if isinstance(value, float) and value.is_integer() else value


def cell_changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[dict[str, Any]]:
    """The cells of one document whose value, amount or kind differ (a cell on one side only included)."""
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, (None,) * 3), after.get(key, (None,) * 3)
        if old != new:
            rows.append({"key": key, "before": _shown(old), "after": _shown(new), "kind_before": old[2],
                         "kind_after": new[2]})
    return rows


def _shown(cell: tuple) -> Any:
    value, amount, _kind = cell
    return value if value is not None else amount


def _summary(doc: str, row: dict[str, Any]) -> dict[str, Any]:
    year = row.get("year")
    return {"report_id": row["report_id"], "agency": row.get("agency"),
            "year": None if year is None else int(float(year)), "document": doc}


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["agency"] is None, r["agency"] or "", r["year"] or 0, r["report_id"],
                                       r.get("key", "")))


# ---- the notes ----------------------------------------------------------------------------------


def release_notes(previous_dir: str | os.PathLike[str] | None, new_frames_or_dir: str | os.PathLike[str] | Frames,
                  *, release_id: str | None = None, previous_id: str | None = None,
                  created: str | None = None, counts: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """(CHANGES.md text, release.json dict) of the new release against the previous one (None: the first)."""
    changes = compare(previous_dir, new_frames_or_dir)
    release = {
        "id": release_id or new_release_id(), "created": created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "previous": previous_id if previous_dir is not None else None, "versions": tool_versions(),
        "counts": {"tables": _rows(new_frames_or_dir), **(counts or {})},
        "changes": {"reports_added": len(changes["added"]), "reports_removed": len(changes["removed"]),
                    "reports_changed": len(changes["changed"]), "cells_changed": changes["cells_changed"]},
        "reports_added": changes["added"], "reports_removed": changes["removed"],
        "reports_changed": changes["changed"], "cells_changed": changes["cells"][:MAX_CELLS],
    }
    return changes_markdown(release, first=previous_dir is None), release


def _rows(source: str | os.PathLike[str] | Frames) -> dict[str, int]:
    if isinstance(source, dict):
        return {name: len(frame) for name, frame in source.items()}
    folder = Path(source)
    return {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted(folder.glob("*.parquet"))}


def changes_markdown(release: dict[str, Any], first: bool = False) -> str:
    ch, versions = release["changes"], release["versions"]
    lines = [f"# Release {release['id']}", "",
             f"Built {release['created']} by nianbao {versions['nianbao']} (parsers {versions['parsers']}).",
             "First release: every report is new." if first else f"Compared with release {release['previous'] or '(unnamed)'}.",
             "", "| | count |", "|---|---:|",
             *(f"| {name.replace('_', ' ')} | {n} |" for name, n in ch.items()),
             *(f"| rows in {name} | {n} |" for name, n in release["counts"]["tables"].items())]
    for title, rows in (("Reports added", release["reports_added"]), ("Reports removed", release["reports_removed"]),
                        ("Reports changed", release["reports_changed"])):
        if rows and not (first and title == "Reports added"):
            lines += ["", f"## {title} ({len(rows)})", "", *(_report_line(r) for r in rows[:LISTED]), *_more(rows)]
    if release["cells_changed"]:
        lines += ["", f"## Cells whose value changed ({ch['cells_changed']})", "",
                  "| report_id | agency | year | key | before | after |", "|---|---|---:|---|---:|---:|",
                  *(_cell_line(c) for c in release["cells_changed"][:LISTED]), *_more(release["cells_changed"])]
    return "\n".join(lines) + "\n"


def _report_line(row: dict[str, Any]) -> str:
    how = f" — {row['how']} (was {row['previous_report_id']}; {row['cells_changed']} cells)" if "how" in row else ""
    return f"- `{row['report_id']}` {row['agency'] or '(agency unknown)'} {row['year'] or ''}: {row['document']}{how}"


def _cell_line(cell: dict[str, Any]) -> str:
    def show(value: Any, kind: Any) -> str:
        return "null" if value is None else f"{value}" + (f" ({kind})" if kind not in (None, "number") else "")
    return (f"| {cell['report_id']} | {cell['agency'] or ''} | {cell['year'] or ''} | {cell['key']} | "
            f"{show(cell['before'], cell['kind_before'])} | {show(cell['after'], cell['kind_after'])} |")


def _more(rows: list[Any]) -> list[str]:
    return [f"- … and {len(rows) - LISTED} more (release.json lists them)"] if len(rows) > LISTED else []
