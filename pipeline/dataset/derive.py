"""The derived tables of the dataset, computed from the base tables (dataset code: DataFrames).

- `comparable`: one row per report read, the measures that mean the same under both templates
  (pipeline.dataset.crosswalk), so that years 2019–2020 and 2021 on sit in one column each; then the
  rates, the change from last year and the rank among agencies of the same level (pipeline.dataset.rates).
- `agencies`: one row per agency_id (pipeline.dataset.agencies).
- `crosschecks`: checks across reports (pipeline.dataset.crossyear).

A derived sum is null when any of its parts is null: a missing row is never taken as 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.dataset.crosswalk import derived_parts
from pipeline.dataset.crossyear import crosschecks
from pipeline.dataset.rates import add_rates
from pipeline.dataset.schema import (
    COMPARABLE_COLUMNS,
    COMPARABLE_META,
    COMPARABLE_SCHEMA,
    WIDE_META,
    column_name,
    frame,
)


def derive_tables(frames: dict[str, pd.DataFrame], agency_rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    comparable = comparable_frame(frames)
    ids = frames["reports"].set_index("report_id")["agency_id"]
    comparable["agency_id"] = comparable["report_id"].map(ids).astype(COMPARABLE_META["agency_id"])
    agencies = frame(agency_rows, "agencies")
    comparable = add_rates(comparable, agencies)
    return {
        "comparable": comparable,
        "agencies": agencies,
        "crosschecks": crosschecks(comparable, frames["reports"]),
    }


def comparable_frame(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """t2/t3/t4 (one row per report, same order) -> the comparable measures."""
    wide = pd.concat([frames["t3"].reset_index(drop=True)]  # the wide tables share their row order
                     + [frames[n].drop(columns=list(WIDE_META)).reset_index(drop=True) for n in ("t2", "t4")], axis=1)
    columns = {c: wide[c] for c in WIDE_META} | {"agency_id": pd.Series(pd.NA, index=wide.index)}
    for col, key in COMPARABLE_COLUMNS.items():
        columns[col] = comparable_column(wide, key)
    out = pd.DataFrame(columns, columns=list(COMPARABLE_SCHEMA))
    return out.astype(COMPARABLE_SCHEMA).reset_index(drop=True)


def comparable_column(wide: pd.DataFrame, key: str) -> pd.Series:
    """The column of one comparable key (dotted, `t3.denied_all.total`) from the wide tables' columns."""
    parts = derived_parts(key)
    if not parts:
        return wide[column_name(key)]
    total = strict_sum(wide, [column_name(p) for p in parts])
    if ".other_all." in key:  # the 2019 single （六） (also printed by some 2021 reports), else the 2021 sum
        single = wide[column_name(key.replace(".other_all.", ".other."))]
        return single.where(single.notna(), total)
    return total


def strict_sum(wide: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Row sums that are null when any part is null."""
    return wide[columns].sum(axis=1, skipna=False, min_count=len(columns))
