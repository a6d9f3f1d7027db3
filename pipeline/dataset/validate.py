"""Validate the dataset's tables with pandera before anything is written (dataset code).

The checks come from the same place as the datapackage's constraints (pipeline.datapackage.field_spec):
column set, order and dtypes (SCHEMAS), required, unique, enum, pattern, minimum/maximum; and the
links between tables (every report_id of a table is in `reports`, every agency_id in `agencies`).
A table that fails raises DatasetInvalid, one line, and export writes nothing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pipeline.dataset.datapackage import field_spec
from pipeline.dataset.errors import DatasetInvalid
from pipeline.dataset.schema import SCHEMAS

__all__ = ["DatasetInvalid", "table_schema", "validate_frames"]


def checks_for(constraints: dict[str, Any]) -> list[pa.Check]:
    checks = []
    if "enum" in constraints:
        checks.append(pa.Check.isin(constraints["enum"]))
    if "pattern" in constraints:
        checks.append(pa.Check.str_matches(constraints["pattern"]))
    if "minimum" in constraints:
        checks.append(pa.Check.ge(constraints["minimum"]))
    if "maximum" in constraints:
        checks.append(pa.Check.le(constraints["maximum"]))
    return checks


@cache
def table_schema(name: str) -> pa.DataFrameSchema:
    columns = {}
    for col, dtype in SCHEMAS[name].items():
        constraints = field_spec(name, col).get("constraints", {})
        columns[col] = pa.Column(dtype, checks_for(constraints), nullable=not constraints.get("required"),
                                 unique=bool(constraints.get("unique")))
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=name)


def validate_frames(frames: dict[str, pd.DataFrame]) -> None:
    """Raise DatasetInvalid naming the first problem (and how many there are)."""
    problems: list[str] = []
    for name, frame in frames.items():
        if name in SCHEMAS:
            problems += table_problems(name, frame)
    problems += link_problems(frames)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DatasetInvalid(f"dataset not written, the previous one stays: {problems[0]}{more}")


def table_problems(name: str, frame: pd.DataFrame) -> list[str]:
    try:
        table_schema(name).validate(frame, lazy=True)
    except SchemaErrors as exc:
        return [_describe(name, case) for case in exc.failure_cases.head(20).to_dict("records")]
    return []


def _describe(name: str, case: dict[str, Any]) -> str:
    where = f" (row {case['index']})" if case.get("index") is not None and not pd.isna(case["index"]) else ""
    column = case.get("column") or case.get("schema_context")
    value = " ".join(str(case.get("failure_case")).split())
    return f"{name}.{column}: {value!r} fails {case.get('check')}{where}"


def link_problems(frames: dict[str, pd.DataFrame]) -> list[str]:
    problems = []
    if "reports" in frames:
        known = set(frames["reports"]["report_id"].dropna())
        for name in ("cells", "t2", "t3", "t4", "comparable"):
            if name in frames and (orphans := set(frames[name]["report_id"].dropna()) - known):
                problems.append(f"{name}.report_id: {sorted(orphans)[0]!r} is not in reports")
    if "agencies" in frames:
        known = set(frames["agencies"]["agency_id"].dropna())
        for name in ("reports", "crosschecks"):
            if name in frames and (orphans := set(frames[name]["agency_id"].dropna()) - known):
                problems.append(f"{name}.agency_id: {sorted(orphans)[0]!r} is not in agencies")
    return problems
