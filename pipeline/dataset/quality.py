"""What did not add up, what was read with warnings, which documents failed and why (dataset code).

`quality_table(frames)` gives one row per (section, reason) with the number of reports (or cells,
or checks) and up to three example sources; `quality_text` lays it out for the terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd

from parsers.model import NUMBER
from pipeline.dataset.agencies import possibly_same
from pipeline.dataset.reasons import rejection_reason

SECTIONS = {
    "failed": "documents that could not be read, by reason",
    "checks": "reports whose numbers do not add up, by relation",
    "crosschecks": "checks across reports (carry-over, narrative numbers), by check and result",
    "warnings": "reports read with warnings, by kind of warning",
    "cells": "cells not read as a printed number, by kind",
    "agencies": "agencies that may be one (add a line to data/agency_overrides.csv if so)",
}
# Warning text -> its kind (first match wins); pattern on the warning's own words.
WARNING_KINDS = (
    (r"readings fit; left null|neither row nor column sums decide", "glued cells undecided (null)"),
    (r"readings whose row total adds up", "glued cells decided by the arithmetic"),
    (r"blank total, derived", "blank total derived from its parts"),
    (r"blank or dash cell", "blank or dash cells read as 0"),
    (r"no unit printed", "money with no unit (column's unit assumed)"),
    (r"unit .* converted", "money unit converted to 元"),
    (r"extra row", "rows in no template kept aside"),
    (r"^year: ", "year not printed (publication year - 1)"),
    (r"^template: ", "template taken from the year"),
    (r"tables not found", "tables not found (images?)"),
    (r"pre-2019", "pre-2019 report"),
    (r"unreadable|could not be read", "cells that could not be read"),
    (r"no readable label.*placed by template order", "rows placed by template order (label lost)"),
    (r"printed as three .*tables", "表四 printed as three tables, joined"),
)
_KEYS = re.compile(r"^(?:t[234](?:\.[a-z_]+)*(?:,\s*)?)+:\s*")
_KINDS = tuple((re.compile(p), kind) for p, kind in WARNING_KINDS)
COLUMNS = {"section": "string", "reason": "string", "count": "Int64", "examples": "string"}


def warning_kind(text: str) -> str:
    for pattern, kind in _KINDS:
        if pattern.search(text):
            return kind
    message = _KEYS.sub("", text)  # the cells named first say where, not what
    head = re.sub(r"\(line [^)]*\)|'[^']*'|\d+", "…", message).strip()
    return f"other: {head[:50]}"


def quality_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = (failed_rows(frames["reports"]) + check_rows(frames["reports"]) + cross_rows(frames["crosschecks"])
            + warning_rows(frames["reports"]) + cell_rows(frames["cells"], frames["reports"]) + agency_rows(frames["agencies"]))
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)


def _rows(section: str, counts: Counter[str], examples: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [{"section": section, "reason": reason, "count": n,
             "examples": "; ".join(examples.get(reason, [])[:3]) or None}
            for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _tally(pairs: list[tuple[str, str]], section: str) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for reason, example in pairs:
        counts[reason] += 1
        if example not in examples.setdefault(reason, []):
            examples[reason].append(example)
    return _rows(section, counts, examples)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def failed_rows(reports: pd.DataFrame) -> list[dict[str, Any]]:
    pairs = [(rejection_reason(r["error"], r["source"] or ""), r["error"]) for r in _records(reports) if r["error"]]
    return _tally(pairs, "failed")


def check_rows(reports: pd.DataFrame) -> list[dict[str, Any]]:
    pairs = [(rule, r["source"]) for r in _records(reports) if r["failed_checks"]
             for rule in r["failed_checks"].split(";")]
    return _tally(pairs, "checks")


def cross_rows(cross: pd.DataFrame) -> list[dict[str, Any]]:
    result = {True: "ok", False: "failed", None: "not checkable (null)"}
    pairs = [(f"{r['check_name']}: {result[r['ok']]}", f"{r['agency_id']} {r['year']}: {r['detail'] or r['report_id']}")
             for r in _records(cross)]
    return _tally(pairs, "crosschecks")


def warning_rows(reports: pd.DataFrame) -> list[dict[str, Any]]:
    pairs = []
    for r in _records(reports):
        kinds = {warning_kind(w) for w in (r["warnings"] or "").split(" | ") if w}
        pairs += [(kind, r["source"]) for kind in sorted(kinds)]
    return _tally(pairs, "warnings")


def cell_rows(cells: pd.DataFrame, reports: pd.DataFrame) -> list[dict[str, Any]]:
    odd = cells[cells["kind"] != NUMBER]
    source = odd["report_id"].map(reports.set_index("report_id")["source"]).astype("string")  # cells name no source
    pairs = list(zip(odd["kind"].astype(str), (source.fillna("") + " " + odd["key"].fillna("")), strict=True))
    return _tally(pairs, "cells")


def agency_rows(agencies: pd.DataFrame) -> list[dict[str, Any]]:
    pairs = possibly_same([n for n in agencies["name"].dropna()])
    return [{"section": "agencies", "reason": f"{short} = {long}?", "count": 1, "examples": None}
            for short, long in pairs]


def quality_text(table: pd.DataFrame, documents: int) -> str:
    """Sections with their counts and examples, for the terminal."""
    lines = [f"{documents} documents"]
    for section, title in SECTIONS.items():
        rows = table[table["section"] == section]
        lines.append(f"\n{title}: {'none' if rows.empty else ''}".rstrip())
        for r in _records(rows):
            example = f"   e.g. {r['examples']}" if r["examples"] else ""
            lines.append(f"  {r['count']:>6}  {r['reason']}{example}")
    return "\n".join(lines)
