"""Rates, change and rank of the `comparable` table (dataset code: DataFrames).

The definitions are data in pipeline.dataset.crosswalk (RATES, RANK_COLUMNS). A rate is null when
its numerator or denominator is null or the denominator is 0: a missing row is never taken as 0
and no share is stated of nothing.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.dataset.crosswalk import RANK_COLUMNS, RATES
from pipeline.dataset.schema import column_name

RECEIVED = column_name("t3.new_received.total")
LEVELS = ("province", "city", "county", "township")
_TOWNSHIP = re.compile(r"(?:街道|镇|乡)(?:办事处|人民政府|政府|办)?$")


def add_rates(comparable: pd.DataFrame, agencies: pd.DataFrame) -> pd.DataFrame:
    """comparable with every RATES and RANK_COLUMNS column filled (agency_id must be set)."""
    out = comparable.copy()
    for name, (numerator, parts, _doc) in RATES.items():
        out[name] = share(out[column_name(numerator)], _denominator(out, parts))
    levels = agencies.set_index("agency_id").apply(agency_level, axis=1) if len(agencies) else pd.Series()
    out["agency_level"] = out["agency_id"].map(levels).astype("string")
    first = first_per_year(out)
    out["received_change_pct"] = change_pct(out, RECEIVED).where(first)
    rank, of = level_ranks(out[first], RECEIVED)
    out["received_rank"], out["received_rank_of"] = rank, of
    return out.astype({k: dtype for k, (dtype, _doc) in RANK_COLUMNS.items()})


def _denominator(frame: pd.DataFrame, parts: tuple[str, ...]) -> pd.Series:
    total = pd.Series(0.0, index=frame.index, dtype="Float64")
    for part in parts:
        sign, col = (-1, part[1:]) if part.startswith("-") else (1, part)
        total = total + sign * frame[column_name(col)].astype("Float64")
    return total


def share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, null where the denominator is null or not above 0."""
    num, den = numerator.astype("Float64"), denominator.astype("Float64")
    return (num / den.where(den > 0)).astype("Float64")


def agency_level(agency: pd.Series) -> str | None:
    """township (name ends in 街道/镇/乡 …), else the lowest region unit found: county, city, province."""
    name = agency.get("name")
    if isinstance(name, str) and _TOWNSHIP.search(name):
        return "township"
    for level in ("county", "city", "province"):
        value = agency.get(level)
        if isinstance(value, str) and value:
            return level
    return None


def first_per_year(frame: pd.DataFrame) -> pd.Series:
    """True for the first report (by report_id) of each agency and year, as the cross-year checks use."""
    known = frame["agency_id"].notna() & frame["year"].notna()
    order = frame[known].sort_values(["agency_id", "year", "report_id"])
    keep = ~order.duplicated(["agency_id", "year"])
    return pd.Series(False, index=frame.index) | keep.reindex(frame.index, fill_value=False)


def change_pct(frame: pd.DataFrame, column: str) -> pd.Series:
    """% change of column from the same agency's previous year (first report of each year only)."""
    first = frame[first_per_year(frame)].sort_values(["agency_id", "year"])
    prev = first.groupby("agency_id")[column].shift(1).astype("Float64")
    prev_year = first.groupby("agency_id")["year"].shift(1)
    consecutive = prev_year == first["year"] - 1
    pct = ((first[column].astype("Float64") - prev) / prev.where(prev > 0) * 100).where(consecutive)
    return pct.reindex(frame.index).astype("Float64")


def level_ranks(first: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """(rank, of) for the rows of `first` among rows of the same agency_level and year (1 = most)."""
    has_level = first["agency_level"].notna() & first[column].notna()
    rows = first[has_level]
    groups = [rows["agency_level"], rows["year"]]
    rank = rows[column].groupby(groups).rank(method="min", ascending=False)
    of = rows[column].groupby(groups).transform("count")
    return rank.reindex(first.index).astype("Int64"), of.reindex(first.index).astype("Int64")
