"""The `sections` table: every report's numbered prose sections, and how much each repeats the same
agency's section of the previous year (dataset code: DataFrames).

The splitting is done by the parser (parsers.sections); here each section gets its report's agency
and year, the 信息处理费 its prose states, and its similarity (rapidfuzz `ratio`, 0–100, on the text
without white space) to the section of the same kind (`section_key`; else the same number) in the
same agency's report of the year before. `repeats_previous` is true from REPEAT_THRESHOLD (90) up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from parsers.model import Report
from parsers.sections import processing_fee
from pipeline.dataset.schema import SECTIONS_SCHEMA, frame_of

REPEAT_THRESHOLD = 90.0
SECTIONS_DESCRIPTION = ("One row per numbered prose section of a report (一、总体情况 … 六、其他需要报告的事项): "
                        "the text, and its similarity to the same agency's section of the previous year")
SECTIONS_FIELDS: dict[str, dict[str, Any]] = {
    "number": {"description": "The section's number as printed (一 = 1)", "constraints": {"required": True, "minimum": 1}},
    "section_key": {"description": "Which section of the national template it is: overview (总体情况), proactive "
                                   "(主动公开), requests (收到和处理申请), appeals (行政复议、行政诉讼), problems "
                                   "(存在的主要问题及改进情况), other_matters (其他需要报告的事项); null for another title",
                    "constraints": {"enum": ["overview", "proactive", "requests", "appeals", "problems",
                                             "other_matters"]}},
    "title": {"description": "The heading as printed, without its numeral"},
    "text": {"description": "The section's prose (lines of a table left out; NFKC-normalized punctuation)"},
    "characters": {"description": "Characters of the text, white space not counted", "unit": "字",
                   "constraints": {"minimum": 0}},
    "previous_report_id": {"description": "The same agency's report of the previous year, when it has a section "
                                          "of the same kind (section_key, else number)",
                           "constraints": {"pattern": "^[0-9a-f]{16}$"}},
    "similarity_previous": {"description": "Similarity to the same section of the previous year's report "
                                           "(rapidfuzz ratio on the text without white space), 0–100; null when either text "
                                           "is empty (a section that is only a table)",
                            "unit": "%", "constraints": {"minimum": 0, "maximum": 100}},
    "repeats_previous": {"description": f"similarity_previous ≥ {REPEAT_THRESHOLD:g}: the section repeats last "
                                        "year's almost word for word"},
    "processing_fee": {"description": "信息处理费 the section's prose states (万元 converted), 0 when it says none "
                                      "was charged; null when it says nothing or two amounts", "unit": "元",
                       "constraints": {"minimum": 0}},
}


def section_rows(reports: Iterable[tuple[str, Report]]) -> list[dict[str, Any]]:
    """(report_id, Report) pairs -> one plain row per section (agency and similarity not yet set)."""
    return [{"report_id": report_id, "number": s.number, "section_key": s.key, "title": s.title, "text": s.text,
             "characters": sum(1 for ch in s.text if not ch.isspace()), "processing_fee": processing_fee(s.text)}
            for report_id, report in reports for s in report.sections]


def sections_frame(rows: list[dict[str, Any]], reports: pd.DataFrame) -> pd.DataFrame:
    """The sections table: rows with agency_id and year from `reports`, and the previous year's similarity."""
    meta = reports.set_index("report_id")[["agency_id", "year"]]
    previous = previous_reports(reports)
    by_report: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_report.setdefault(row["report_id"], []).append(row)
    for rid, own in by_report.items():
        prev_id = previous.get(rid)
        _compare(own, _none(meta.at[rid, "agency_id"]), _none(meta.at[rid, "year"]),
                 prev_id, by_report.get(prev_id, []) if prev_id else [])
    return frame_of(rows, SECTIONS_SCHEMA)


def _compare(rows: list[dict[str, Any]], agency_id: str | None, year: int | None, prev_id: str | None,
             before: list[dict[str, Any]]) -> None:
    """Set agency and year on one report's section rows, and their similarity to the same sections
    (by key, else number) of the previous year's report `prev_id`, whose rows are `before`."""
    texts = {_match_key(r): r["text"] for r in before}
    for row in rows:
        row["agency_id"], row["year"] = agency_id, year
        text = texts.get(_match_key(row))
        if text is not None:
            row["previous_report_id"] = prev_id
            row["similarity_previous"] = score = similarity(text, row["text"])
            row["repeats_previous"] = None if score is None else score >= REPEAT_THRESHOLD


def similarity(before: str, after: str) -> float | None:
    """0–100: how much of the two texts is the same (white space ignored); None when either is empty
    (a section that is only a table has no prose to repeat)."""
    a, b = "".join(before.split()), "".join(after.split())
    if not a or not b:
        return None
    return round(fuzz.ratio(a, b), 1)


def previous_reports(reports: pd.DataFrame) -> dict[str, str]:
    """report_id -> the report_id of the same agency's previous year (the first by report_id of that year)."""
    known = reports[reports["agency_id"].notna() & reports["year"].notna() & reports["error"].isna()]
    return previous_of({r["report_id"]: (r["agency_id"], int(r["year"])) for r in known.to_dict("records")})


def previous_of(years: dict[str, tuple[str, int]]) -> dict[str, str]:
    """report_id -> the same agency's report of the year before (the first by report_id of that year),
    from report_id -> (agency_id, year)."""
    first: dict[tuple[str, int], str] = {}
    for rid, key in sorted(years.items()):
        first.setdefault(key, rid)
    return {rid: first[(aid, year - 1)] for rid, (aid, year) in years.items() if (aid, year - 1) in first}


def _match_key(row: dict[str, Any]) -> str:
    return row["section_key"] or f"#{row['number']}"


def _none(value: Any) -> Any:
    return None if value is pd.NA or (isinstance(value, float) and pd.isna(value)) else value


def sections_of(report_id: str, report: Report, agency_id: str | None, year: int | None,
                previous: tuple[str, Report] | None) -> list[dict[str, Any]]:
    """The section rows of one report, each compared with the same section of `previous` (the same
    agency's report of the year before, when there is one)."""
    rows = section_rows([(report_id, report)])
    _compare(rows, agency_id, year, previous[0] if previous else None,
             section_rows([previous]) if previous is not None else [])
    return rows
