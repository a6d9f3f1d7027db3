"""The dataset's tables: their columns, in order, with their dtypes (`SCHEMAS`), and `frame()`,
which builds a table of SCHEMAS from plain rows. Every dataset module that builds or reads a table
takes its shape from here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from parsers.templates import T2_ROWS, T3_COLUMNS, T3_ROWS, T4_COLUMNS, TEMPLATES
from pipeline.dataset.crosswalk import comparable_keys

STRING = "string"
FLOAT = "Float64"
INT = "Int64"
BOOL = "boolean"

WIDE_META = {"report_id": STRING, "agency": STRING, "year": INT, "template": STRING}

# one row per cell: no report-level text repeated (agency, source, sha256 are in `reports`, by report_id)
CELLS_SCHEMA = {
    "report_id": STRING, "year": INT, "template": STRING, "table": STRING, "row_key": STRING, "column_key": STRING,
    "key": STRING, "value": FLOAT, "raw": STRING, "kind": STRING,
}

REPORTS_SCHEMA = {
    "report_id": STRING, "source": STRING, "sha256": STRING, "size_bytes": INT, "format": STRING,
    "template": STRING, "year": INT, "agency": STRING, "agency_id": STRING, "published": STRING,
    "index_no": STRING, "error": STRING, "checks_passed": INT, "checks_failed": INT, "failed_checks": STRING,
    "warnings_count": INT, "warnings": STRING, "extra_rows": STRING, "narrative": STRING,
}

AGENCIES_SCHEMA = {
    "agency_id": STRING, "name": STRING, "spellings": STRING, "province": STRING, "city": STRING,
    "county": STRING, "region_source": STRING, "first_year": INT, "last_year": INT, "reports": INT,
}

CROSSCHECKS_SCHEMA = {
    "check": STRING, "agency_id": STRING, "year": INT, "report_id": STRING, "other_report_id": STRING,
    "ok": BOOL, "expected": FLOAT, "found": FLOAT, "detail": STRING,
}


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


def wide_schema(table: str) -> dict[str, str]:
    return WIDE_META | {f"{table}.{k}": FLOAT for k in WIDE_KEYS[table]}


COMPARABLE_META = WIDE_META | {"agency_id": STRING}
COMPARABLE_SCHEMA = COMPARABLE_META | {k: FLOAT for k in comparable_keys()}

SCHEMAS: dict[str, dict[str, str]] = {
    "reports": REPORTS_SCHEMA,
    "cells": CELLS_SCHEMA,
    "t2": wide_schema("t2"),
    "t3": wide_schema("t3"),
    "t4": wide_schema("t4"),
    "comparable": COMPARABLE_SCHEMA,
    "agencies": AGENCIES_SCHEMA,
    "crosschecks": CROSSCHECKS_SCHEMA,
}
BASE_TABLES = ("reports", "cells", "t2", "t3", "t4")


def frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    """A table of SCHEMAS from plain rows (missing keys are null)."""
    return frame_of(rows, SCHEMAS[name])


def frame_of(rows: list[dict[str, Any]], schema: dict[str, str]) -> pd.DataFrame:
    columns = {name: pd.array([_cell(r.get(name), dtype) for r in rows], dtype=dtype)
               for name, dtype in schema.items()}
    return pd.DataFrame(columns, columns=list(schema))


def _cell(value: Any, dtype: str) -> Any:
    if dtype == STRING and value is not None:
        return str(value) or None
    return value
