"""Parsed reports -> the dataset's tables. With the dataset modules it calls (pipeline.dataset.derive,
crossyear; validate, compare and quality read the tables), the only code that builds DataFrames.

Every table has a fixed column set and order, and fixed dtypes (`SCHEMAS`), whatever the input,
even an empty one. Rows are sorted by agency, year and report_id (nulls last, then source), cells
keep the parser's order within a report, so the same documents always give the same tables. Empty text is stored as null, so CSV
(which cannot tell "" from null) and Parquet hold the same content.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pandas as pd

from parsers.model import Report
from pipeline.dataset.agencies import Agency, AgencyResolver, load_overrides
from pipeline.dataset.derive import derive_tables
from pipeline.dataset.schema import (
    CELLS_SCHEMA,
    PROVENANCE_SCHEMA,
    REPORTS_SCHEMA,
    SCHEMAS,
    WIDE_KEYS,
    column_name,
    is_money,
    to_date,
)
from pipeline.dataset.schema import frame_of as _frame
from pipeline.dataset.sections import section_rows, sections_frame

log = logging.getLogger(__name__)

Item = tuple[Report, dict[str, Any]]



def make_report_id(sha256: str | None, source: str = "") -> str:
    """The first 16 hex digits of the document's sha256 (stable across runs and renames).

    A document whose bytes were never read (too large, unreadable) has no sha256; its id is taken
    from its source path instead, so that every row of `reports` still has one.
    """
    if sha256:
        return sha256[:16]
    return hashlib.sha256(b"unread:" + source.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def report_id_of(item: Item) -> str:
    report, prov = item
    return prov.get("report_id") or make_report_id(prov.get("sha256"), source_of(item))


def source_of(item: Item) -> str:
    report, prov = item
    return prov.get("source") or report.source or ""


def document_label(item: Item) -> str:
    """How a document is named in log lines: its URL when it was crawled, with the archive path."""
    report, prov = item
    url = prov.get("url")
    return f"{url} ({source_of(item)})" if url else source_of(item)


def sort_key(item: Item) -> tuple:
    """Agency, year, report_id (nulls last), then source: the order of every per-report table."""
    report, _prov = item
    return (report.agency is None, report.agency or "", report.year is None, report.year or 0,
            report_id_of(item), source_of(item))


def records_to_frames(items: list[Item], overrides: str | os.PathLike[str] | None = None) -> dict[str, pd.DataFrame]:
    """(Report, provenance) pairs -> every table of SCHEMAS.

    provenance: {"source", "sha256", "size_bytes"} and optionally "report_id" and the crawl's
    "url", "parent_url", "site", "first_fetched", "last_fetched", "etag", "last_modified".
    Reports with `error` set appear in `reports` only; the others get one row in each wide table.
    overrides: the agency override CSV (default data/agency_overrides.csv, where it exists).
    The derived tables (comparable, agencies, crosschecks) are computed by pipeline.dataset.
    """
    ordered = sorted(items, key=sort_key)
    resolver = AgencyResolver(load_overrides(overrides))
    agencies = {report_id_of(it): resolver.resolve(it[0].agency, source_of(it)) for it in ordered}
    read = [it for it in ordered if it[0].error is None]
    frames = {
        "reports": _frame([report_row(it, agencies) for it in ordered], REPORTS_SCHEMA),
        "cells": _frame([row for it in read for row in cell_rows(it)], CELLS_SCHEMA),
    }
    for table in ("t2", "t3", "t4"):
        frames[table] = _frame([wide_row(it, table) for it in read], SCHEMAS[table])
    frames |= derive_tables(frames, agency_rows(agencies, resolver, ordered))
    frames["sections"] = sections_frame(section_rows((report_id_of(it), it[0]) for it in read), frames["reports"])
    return frames


def agency_rows(agencies: dict[str, Agency | None], resolver: AgencyResolver,
                ordered: list[Item]) -> list[dict[str, Any]]:
    """One row per agency_id: canonical name, every spelling seen, region, years covered."""
    years: dict[str, list[int]] = {}
    for item in ordered:
        agency = agencies[report_id_of(item)]
        if agency is not None:
            years.setdefault(agency.agency_id, [])
            if item[0].year is not None:
                years[agency.agency_id].append(item[0].year)
    seen: dict[str, Agency] = {}
    for a in agencies.values():  # an override's region wins over one read from a name
        if a is not None and (a.agency_id not in seen or a.region.source == "override"):
            seen[a.agency_id] = a
    counts = Counter(a.agency_id for a in agencies.values() if a is not None)
    return [{"agency_id": aid, "name": a.name, "spellings": " | ".join(sorted(resolver.spellings[aid])),
             "province": a.region.province, "city": a.region.city, "county": a.region.county,
             "region_source": a.region.source, "first_year": min(years[aid], default=None),
             "last_year": max(years[aid], default=None), "reports": counts[aid]}
            for aid, a in sorted(seen.items())]


def _meta(item: Item) -> dict[str, Any]:
    report, _prov = item
    return {"report_id": report_id_of(item), "agency": report.agency, "year": report.year,
            "template": report.template}


def count_value(value: Any) -> int | None:
    """A count as an int (a fraction, which no parser gives, stays a float and fails validation)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _value(key: str, value: Any) -> int | float | None:
    return _money(value) if is_money(key) else count_value(value)


def cell_rows(item: Item) -> Iterable[dict[str, Any]]:
    report, _prov = item
    meta = {"report_id": report_id_of(item), "year": report.year, "template": report.template}
    for cell in report.cells:
        key = f"{cell.table}.{cell.key}"
        money = is_money(key)
        yield meta | {
            "table_key": cell.table, "row_key": cell.row or None, "column_key": cell.col, "key": key,
            "value": None if money else count_value(cell.value), "amount": _money(cell.value) if money else None,
            "raw": cell.raw, "kind": cell.kind, "page": getattr(cell, "page", None),
            "label": getattr(cell, "label", None), "header": getattr(cell, "header", None),
        }


def wide_row(item: Item, table: str) -> dict[str, Any]:
    report, _prov = item
    row = _meta(item)
    known = set(WIDE_KEYS[table])
    for cell in report.table(table):
        if cell.key in known:
            key = f"{table}.{cell.key}"
            row[column_name(key)] = _value(key, cell.value)
        else:
            log.warning("%s: %s cell %r is not a canonical key; kept in cells only",
                        document_label(item), table, cell.key)
    return row


MAX_WARNINGS = 50  # shown in reports.warnings; warnings_count keeps the true count
MAX_WARNING_CHARS = 400


def joined_warnings(warnings: list[str]) -> str:
    """' | '-joined, at most MAX_WARNINGS of at most MAX_WARNING_CHARS each, then how many more."""
    shown = [w if len(w) <= MAX_WARNING_CHARS else w[: MAX_WARNING_CHARS - 1] + "…" for w in warnings[:MAX_WARNINGS]]
    if len(warnings) > MAX_WARNINGS:
        shown.append(f"… and {len(warnings) - MAX_WARNINGS} more warnings")
    return " | ".join(shown)


def _rule_name(check: dict[str, Any]) -> str:
    return str(check.get("rule", "")).split(":", 1)[0].strip()


def report_row(item: Item, agencies: dict[str, Agency | None]) -> dict[str, Any]:
    report, prov = item
    failed = [c for c in report.checks if c.get("ok") is False]
    agency = agencies.get(report_id_of(item))
    narrative = getattr(report, "narrative", None)  # parsers.narrative.narrative_numbers, where wired
    published = to_date(report.published)
    warnings = list(report.warnings)
    if report.published and published is None:
        warnings.append(f"published: {report.published!r} is not a date; left null")
    return {
        "report_id": report_id_of(item), "source": source_of(item), "sha256": prov.get("sha256"),
        "size_bytes": prov.get("size_bytes"), "format": report.format, "template": report.template,
        "year": report.year, "agency": report.agency, "agency_printed": getattr(report, "agency_printed", None),
        "agency_id": agency.agency_id if agency else None,
        "published": published,
        "index_no": report.index_no, **{k: prov.get(k) for k in PROVENANCE_SCHEMA}, "error": report.error,
        "checks_passed": sum(1 for c in report.checks if c.get("ok") is True),
        "checks_failed": len(failed),
        "failed_checks": ";".join(_rule_name(c) for c in failed),
        "warnings_count": len(warnings),
        "warnings": joined_warnings(warnings),
        "extra_rows": None if report.error else json.dumps(report.extra_rows, ensure_ascii=False, default=str),
        "narrative": json.dumps(narrative, ensure_ascii=False, sort_keys=True) if narrative else None,
    }
