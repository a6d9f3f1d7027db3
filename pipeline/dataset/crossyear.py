"""Checks across reports (dataset code: DataFrames in, the `crosschecks` table out).

- `carry_over`: last year's 四、结转下年度继续办理 (t3_carried_forward_<col>) equals this year's
  二、上年结转 (t3_carried_over_<col>), every column, for the same agency_id in consecutive years.
- `one_report_per_year`: an agency has one report per year (else the carry check took the first).
- `narrative.<key>`: a number quoted in the prose (parsers.narrative) equals the tables. For
  `received`, prose that counts 本年新收 + 上年结转 together is accepted and said so in `detail`.

A failure is reported (ok false, with the detail), never fixed. ok is null where a value is null.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from parsers.templates import T3_COLUMNS
from pipeline.dataset.schema import frame

NARRATIVE_MEASURES = {  # key of parsers.narrative -> the comparable columns whose sum it states
    "received": ("t3_new_received_total",),
    "carried_over": ("t3_carried_over_total",),
    "carried_forward": ("t3_carried_forward_total",),
    "granted": ("t3_granted_total",),
    "partially_granted": ("t3_partially_granted_total",),
    "granted_or_partial": ("t3_granted_total", "t3_partially_granted_total"),
    "review": ("t4_review_total",),
    "suit": ("t4_suit_all_total",),
}


def crosschecks(comparable: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    rows = carry_rows(comparable) + narrative_rows(comparable, reports)
    rows.sort(key=lambda r: (r["agency_id"] or "", r["year"] or 0, r["check_name"], r["report_id"]))
    return frame(rows, "crosschecks")


def _records(comparable: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain rows with None for nulls, sorted by agency, year, report."""
    known = comparable[comparable["agency_id"].notna() & comparable["year"].notna()]
    known = known.sort_values(["agency_id", "year", "report_id"])
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in known.to_dict("records")]


def carry_rows(comparable: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    first: dict[tuple[str, int], dict[str, Any]] = {}
    for rec in _records(comparable):
        key = (rec["agency_id"], int(rec["year"]))
        if key in first:
            rows.append(_duplicate(rec, first[key]))
            continue
        first[key] = rec
    for (agency_id, year), rec in first.items():
        prev = first.get((agency_id, year - 1))
        if prev is not None:
            rows.append(carry_row(prev, rec))
    return rows


def _duplicate(rec: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    return {"check_name": "one_report_per_year", "agency_id": rec["agency_id"], "year": rec["year"],
            "report_id": rec["report_id"], "other_report_id": kept["report_id"], "ok": False,
            "detail": f"a second report for {rec['year']}; the cross-year checks use {kept['report_id']}"}


def carry_row(prev: dict[str, Any], this: dict[str, Any]) -> dict[str, Any]:
    """One row per pair of consecutive years: ok when every column carries over."""
    pairs = [(c, prev[f"t3_carried_forward_{c}"], this[f"t3_carried_over_{c}"]) for c in T3_COLUMNS]
    unknown = [c for c, a, b in pairs if a is None or b is None]
    wrong = [f"{c}: {_n(a)} ≠ {_n(b)}" for c, a, b in pairs if a is not None and b is not None and a != b]
    ok = False if wrong else (None if unknown else True)
    detail = (f"{prev['year']} 结转下年度 vs {this['year']} 上年结转: " + "; ".join(wrong)) if wrong else (
        f"null in {', '.join(unknown)}" if unknown else None)
    return {"check_name": "carry_over", "agency_id": this["agency_id"], "year": this["year"],
            "report_id": this["report_id"], "other_report_id": prev["report_id"], "ok": ok,
            "expected": prev["t3_carried_forward_total"], "found": this["t3_carried_over_total"], "detail": detail}


def _n(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def narrative_rows(comparable: pd.DataFrame, reports: pd.DataFrame) -> list[dict[str, Any]]:
    quoted = {r["report_id"]: json.loads(r["narrative"]) for r in reports.to_dict("records")
              if isinstance(r.get("narrative"), str)}
    rows: list[dict[str, Any]] = []
    for rec in comparable.to_dict("records"):
        numbers = quoted.get(rec["report_id"], {})
        rows += [narrative_row(rec, key, numbers[key]) for key in NARRATIVE_MEASURES if key in numbers]
    return rows


def narrative_row(rec: dict[str, Any], key: str, quoted: int) -> dict[str, Any]:
    columns = NARRATIVE_MEASURES[key]
    values = [rec[c] for c in columns]
    table = None if any(pd.isna(v) for v in values) else int(sum(values))
    ok, detail = (None, "table value is null") if table is None else (quoted == table, None)
    if key == "received" and ok is False:
        both = _plus(table, rec["t3_carried_over_total"])
        if both == quoted:
            ok, detail = True, "prose counts 本年新收 + 上年结转 together"
    if ok is False:
        detail = f"prose says {quoted}, {' + '.join(columns)} is {_n(table)}"
    return {"check_name": f"narrative.{key}", "agency_id": _none(rec["agency_id"]), "year": _none(rec["year"]),
            "report_id": rec["report_id"], "ok": ok, "expected": int(quoted), "found": table, "detail": detail}


def _plus(a: int | None, b: Any) -> int | None:
    return None if a is None or pd.isna(b) else a + int(b)


def _none(value: Any) -> Any:
    return None if pd.isna(value) else value
