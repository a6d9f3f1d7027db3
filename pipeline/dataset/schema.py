"""The dataset's tables: their columns, in order, with their dtypes (`SCHEMAS`), and `frame()`,
which builds a table of SCHEMAS from plain rows. Every dataset module that builds or reads a table
takes its shape from here.

Types: counts are nullable integers (Int64; int64 in Parquet, `integer` in datapackage.json),
money is a float in 元 (Float64), `published` a date (date32), fetch times UTC timestamps,
`template` the string "2019"/"2021". Wide-table columns are SQL-safe: the cell key
`t3.granted.total` is the column `t3_granted_total` (`column_name`); the dotted key stays in
`cells.key` and the codebook maps one to the other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from parsers.templates import T2_ROWS, T3_COLUMNS, T3_ROWS, T4_COLUMNS, TEMPLATES
from pipeline.dataset.crosswalk import RANK_COLUMNS, RATES, comparable_keys

STRING = "string"
FLOAT = "Float64"
INT = "Int64"
BOOL = "boolean"
DATE = pd.ArrowDtype(pa.date32())  # `published`: a date in pandas, Parquet (date32), DuckDB (DATE)
TIMESTAMP = "datetime64[ms, UTC]"  # fetch times, whole seconds, UTC

WIDE_META = {"report_id": STRING, "agency": STRING, "year": INT, "template": STRING}

# one row per cell: no report-level text repeated (agency, source, sha256 are in `reports`, by report_id)
CELLS_SCHEMA = {
    "report_id": STRING, "year": INT, "template": STRING, "table_key": STRING, "row_key": STRING,
    "column_key": STRING, "key": STRING, "value": INT, "amount": FLOAT, "raw": STRING, "kind": STRING,
    "page": INT, "label": STRING, "header": STRING,
}

PROVENANCE_SCHEMA = {
    "url": STRING, "parent_url": STRING, "site": STRING, "first_fetched": TIMESTAMP, "last_fetched": TIMESTAMP,
    "etag": STRING, "last_modified": STRING,
}

REPORTS_SCHEMA = {
    "report_id": STRING, "source": STRING, "sha256": STRING, "size_bytes": INT, "format": STRING,
    "template": STRING, "year": INT, "agency": STRING, "agency_printed": STRING, "agency_id": STRING,
    "published": DATE, "index_no": STRING, **PROVENANCE_SCHEMA, "twin_of": STRING,
    "error": STRING, "checks_passed": INT, "checks_failed": INT, "failed_checks": STRING,
    "warnings_count": INT, "warnings": STRING, "extra_rows": STRING, "narrative": STRING,
}

AGENCIES_SCHEMA = {
    "agency_id": STRING, "name": STRING, "spellings": STRING, "province": STRING, "city": STRING,
    "county": STRING, "region_source": STRING, "first_year": INT, "last_year": INT, "reports": INT,
}

CROSSCHECKS_SCHEMA = {
    "check_name": STRING, "agency_id": STRING, "year": INT, "report_id": STRING, "other_report_id": STRING,
    "ok": BOOL, "expected": INT, "found": INT, "detail": STRING,
}

MONEY_KEYS = frozenset(f"t2.{r.key}.{r.money_col}" for t in TEMPLATES for r in T2_ROWS[t] if r.money_col)


def column_name(key: str) -> str:
    """The SQL-safe column of a cell key: `t3.granted.total` -> `t3_granted_total`."""
    return key.replace(".", "_")


def is_money(key: str) -> bool:
    """A cell key whose value is money in 元 (the rest are counts)."""
    return key in MONEY_KEYS


def key_dtype(key: str) -> str:
    return FLOAT if is_money(key) else INT


def t2_keys() -> list[str]:
    """表二 cells over both templates, grouped by row in template order (`rules.made`, …)."""
    rows: dict[str, list[str]] = {}
    for template in TEMPLATES:
        for spec in T2_ROWS[template]:
            cols = rows.setdefault(spec.key, [])
            cols.extend(c for c in spec.columns if c not in cols)
    return [f"{row}.{col}" for row, cols in rows.items() for col in cols]


def t3_keys() -> list[str]:
    return [f"{r.key}.{c}" for r in T3_ROWS for c in T3_COLUMNS]


def t4_keys() -> list[str]:
    return list(T4_COLUMNS)


WIDE_KEYS = {"t2": t2_keys(), "t3": t3_keys(), "t4": t4_keys()}


def wide_columns(table: str) -> dict[str, str]:
    """SQL-safe column -> dotted cell key (`t3_granted_total` -> `t3.granted.total`) of a wide table."""
    return {column_name(f"{table}.{k}"): f"{table}.{k}" for k in WIDE_KEYS[table]}


def wide_schema(table: str) -> dict[str, str]:
    return WIDE_META | {col: key_dtype(key) for col, key in wide_columns(table).items()}


COMPARABLE_COLUMNS = {column_name(k): k for k in comparable_keys()}
COMPARABLE_META = WIDE_META | {"agency_id": STRING}
COMPARABLE_SCHEMA = (COMPARABLE_META | {col: key_dtype(key) for col, key in COMPARABLE_COLUMNS.items()}
                     | {k: FLOAT for k in RATES} | {k: dtype for k, (dtype, _doc) in RANK_COLUMNS.items()})

SECTIONS_SCHEMA = {  # pipeline.dataset.sections
    "report_id": STRING, "agency_id": STRING, "year": INT, "number": INT, "section_key": STRING, "title": STRING,
    "text": STRING, "characters": INT, "previous_report_id": STRING, "similarity_previous": FLOAT,
    "repeats_previous": BOOL, "processing_fee": FLOAT,
}

SCHEMAS: dict[str, dict[str, str]] = {
    "reports": REPORTS_SCHEMA,
    "cells": CELLS_SCHEMA,
    "t2": wide_schema("t2"),
    "t3": wide_schema("t3"),
    "t4": wide_schema("t4"),
    "comparable": COMPARABLE_SCHEMA,
    "agencies": AGENCIES_SCHEMA,
    "crosschecks": CROSSCHECKS_SCHEMA,
    "sections": SECTIONS_SCHEMA,
}
BASE_TABLES = ("reports", "cells", "t2", "t3", "t4")
SORTED_BY = ("agency", "year", "report_id")  # the order of reports, cells, t2, t3, t4 and comparable


def column_keys(table: str) -> dict[str, str]:
    """Column -> the dotted cell key it holds, for the wide tables (t2, t3, t4, comparable); {} otherwise."""
    if table in WIDE_KEYS:
        return wide_columns(table)
    return dict(COMPARABLE_COLUMNS) if table == "comparable" else {}


def frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    """A table of SCHEMAS from plain rows (missing keys are null)."""
    return frame_of(rows, SCHEMAS[name])


def frame_of(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pd.DataFrame:
    columns = {name: _array([r.get(name) for r in rows], dtype) for name, dtype in schema.items()}
    return pd.DataFrame(columns, columns=list(schema))


def _array(values: list[Any], dtype: Any) -> Any:
    if dtype == DATE:
        return pd.array([to_date(v) for v in values], dtype=DATE)
    if dtype == TIMESTAMP:
        return pd.to_datetime(pd.Series([v for v in values], dtype=object), utc=True, format="ISO8601"
                              ).dt.floor("s").astype(TIMESTAMP).array
    return pd.array([_cell(v, dtype) for v in values], dtype=dtype)


def to_date(value: Any) -> date | None:
    """A date from a date, a datetime or a `YYYY-MM-DD` text; None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _cell(value: Any, dtype: str) -> Any:
    if dtype == STRING and value is not None:
        return str(value) or None
    if dtype == INT and isinstance(value, float):
        return int(value) if value.is_integer() else value  # a fraction stays and fails the Int64 cast
    return value
