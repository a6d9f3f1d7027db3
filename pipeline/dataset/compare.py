"""Year-by-year comparison of agencies (dataset code: DataFrames; the charts are pipeline.dataset.charts).

`compare_table(frames, agency=…, region=…)` gives one row per agency and year with the main
measures (from the `comparable` table, so 2019- and 2021-template years line up), the rates
(shares of the requests decided, 纠错率), the change from the agency's previous year (absolute and
in %), the rank of requests received among the agencies of the same level that year ("k of N"),
the prose sections that repeat last year's (≥ 90 % identical) and the checks that failed (the
report's own relations and the cross-year checks).
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import pandas as pd

from pipeline.dataset.agencies import agency_key
from pipeline.dataset.crosswalk import RATES, T3_GROUP_SUMS
from pipeline.dataset.schema import column_name

log = logging.getLogger(__name__)

MEASURES = {
    "received": "t3_new_received_total",
    "carried_over": "t3_carried_over_total",
    "granted": "t3_granted_total",
    "partially_granted": "t3_partially_granted_total",
    "denied": "t3_denied_all_total",
    "unable": "t3_unable_all_total",
    "not_processed": "t3_not_processed_all_total",
    "other": "t3_other_all_total",
    "carried_forward": "t3_carried_forward_total",
    "reviews": "t4_review_total",
    "suits": "t4_suit_all_total",
    "corrected": "t4_all_corrected",
}
REASONS = {f"{r}": column_name(f"t3.{r}.total") for rows in T3_GROUP_SUMS.values() for r in rows}
CHANGED = ("received", "granted", "denied", "reviews", "suits", "corrected")
TERMINAL = ("agency", "year", "received", "received_change", "received_change_pct", "rank", "granted",
            "rate_granted", "rate_partially_granted", "rate_denied", "rate_unable", "not_processed", "other",
            "reviews", "suits", "corrected", "rate_corrected", "repeated_sections", "checks_failed")
OUTCOMES = ("granted", "partially_granted", "denied", "unable", "not_processed", "other")
LEVEL_LABELS = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇级"}


class CompareError(Exception):
    """The selection matches no agency (or several, for --agency); one line."""


def select_agencies(agencies: pd.DataFrame, agency: str | None = None, region: str | None = None) -> list[str]:
    """agency_ids for an agency (id, any spelling, or a unique part of the name) or a region
    (province, city or county, exactly as in the agencies table); all agencies when neither."""
    if agency:
        return [_one_agency(agencies, agency)]
    if region:
        key = agency_key(region)
        hit = agencies[[_in_region(row, key) for row in agencies.to_dict("records")]]
        if hit.empty:
            raise CompareError(f"no agency in region {region!r} (the agencies table's province, city or county)")
        return sorted(hit["agency_id"])
    return sorted(agencies["agency_id"].dropna())


def _in_region(row: dict[str, Any], key: str | None) -> bool:
    return any(isinstance(row.get(c), str) and agency_key(row[c]) == key for c in ("province", "city", "county"))


def _one_agency(agencies: pd.DataFrame, wanted: str) -> str:
    if wanted in set(agencies["agency_id"]):
        return wanted
    key = agency_key(wanted) or ""
    spelled = agencies[[key in {agency_key(s) for s in _spellings(row)} for row in agencies.to_dict("records")]]
    if len(spelled) == 1:
        return str(spelled["agency_id"].iloc[0])
    part = agencies[agencies["name"].fillna("").str.contains(key, regex=False)]
    if len(part) == 1:
        return str(part["agency_id"].iloc[0])
    if part.empty:
        raise CompareError(f"no agency matches {wanted!r}")
    names = ", ".join(part["name"].head(5))
    raise CompareError(f"{len(part)} agencies match {wanted!r} ({names}…); give more of the name or the agency_id")


def _spellings(row: dict[str, Any]) -> list[str]:
    spellings = row.get("spellings")
    names = spellings.split(" | ") if isinstance(spellings, str) else []
    return names + [row["name"]] if isinstance(row.get("name"), str) else names


def compare_table(frames: dict[str, pd.DataFrame], agency: str | None = None,
                  region: str | None = None) -> pd.DataFrame:
    """One row per (agency, year) of the selection, sorted by agency and year."""
    comparable = _one_per_year(frames["comparable"])
    ids = select_agencies(frames["agencies"], agency, region)
    chosen = comparable[comparable["agency_id"].isin(ids)]
    names = frames["agencies"].set_index("agency_id")["name"]
    out = pd.DataFrame({"agency_id": chosen["agency_id"], "agency": chosen["agency_id"].map(names),
                        "year": chosen["year"], "template": chosen["template"], "report_id": chosen["report_id"]})
    for name, col in (MEASURES | REASONS).items():
        out[name] = chosen[col]
    for name in (*RATES, "agency_level", "received_rank", "received_rank_of"):
        out[name] = chosen.get(name, pd.NA)
    out = out.sort_values(["agency_id", "year"]).reset_index(drop=True)
    for name in CHANGED:
        out[f"{name}_change"] = _change(out, name)
        out[f"{name}_change_pct"] = _change_pct(out, name)
    out["rank"] = [rank_text(*r) for r in out[["received_rank", "received_rank_of", "agency_level"]].itertuples(index=False)]
    out["rank"] = out["rank"].astype("string")
    out["repeated_sections"] = out["report_id"].map(repeated_sections(frames)).astype("string")
    out["checks_failed"] = out["report_id"].map(failed_checks(frames)).astype("string")
    return out


def rank_text(rank: Any, of: Any, level: Any) -> str | None:
    """"2 of 5 县级" (rank among the agencies of the same level that year), None when unranked."""
    if pd.isna(rank) or pd.isna(of):
        return None
    return f"{int(rank)} of {int(of)} {LEVEL_LABELS.get(level, '')}".rstrip()


def repeated_sections(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """report_id -> the sections ≥ 90 % identical to last year's: "五 存在的主要问题及改进情况 (100%); …"."""
    sections = frames.get("sections")
    if sections is None or sections.empty:
        return pd.Series(dtype="string")
    hit = sections[sections["repeats_previous"].fillna(False).astype(bool)]
    found: dict[str, list[str]] = {}
    for rec in hit.sort_values(["report_id", "number"]).to_dict("records"):
        found.setdefault(rec["report_id"], []).append(
            f"{_numeral(rec['number'])} {rec['title']} ({rec['similarity_previous']:.0f}%)")
    return pd.Series({rid: "; ".join(items) for rid, items in found.items()}, dtype="string")


def _numeral(number: int) -> str:
    digits = "一二三四五六七八九"
    if 1 <= number <= 9:
        return digits[number - 1]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else digits[tens - 1]) + "十" + (digits[ones - 1] if ones else "") if number < 100 else str(number)


def _one_per_year(comparable: pd.DataFrame) -> pd.DataFrame:
    """The first report (by report_id) of each agency and year, as the cross-year checks use."""
    known = comparable[comparable["agency_id"].notna() & comparable["year"].notna()]
    return known.sort_values(["agency_id", "year", "report_id"]).drop_duplicates(["agency_id", "year"])


def _change(out: pd.DataFrame, name: str) -> pd.Series:
    """Change from the same agency's previous year (null when that year is absent)."""
    prev_year = out.groupby("agency_id")["year"].shift(1)
    prev = out.groupby("agency_id")[name].shift(1)
    change = out[name] - prev
    return change.where(prev_year == out["year"] - 1).astype("Float64")


def _change_pct(out: pd.DataFrame, name: str) -> pd.Series:
    """% change from the same agency's previous year (null when that year is absent or was 0)."""
    prev = (out[name] - out[f"{name}_change"]).astype("Float64")
    return (out[f"{name}_change"] / prev.where(prev > 0) * 100).astype("Float64")


def failed_checks(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """report_id -> the failed relations and cross-year checks, '; '-separated (null when none)."""
    found: dict[str, list[str]] = {}
    for rec in frames["reports"][["report_id", "failed_checks"]].dropna().to_dict("records"):
        found.setdefault(rec["report_id"], []).extend(rec["failed_checks"].split(";"))
    cross = frames["crosschecks"]
    for rec in cross[cross["ok"].fillna(True).eq(False)].to_dict("records"):
        found.setdefault(rec["report_id"], []).append(rec["check_name"])
    return pd.Series({rid: "; ".join(checks) for rid, checks in found.items()}, dtype="string")


# ---- terminal ---------------------------------------------------------------------------------


def terminal_table(table: pd.DataFrame, columns: tuple[str, ...] = TERMINAL) -> str:
    """The table as aligned text (CJK characters count as two columns; rates and % changes as percentages)."""
    cols = [c for c in columns if c in table.columns]
    rows = [cols] + [[_text(v, c) for v, c in zip(rec, cols, strict=True)]
                     for rec in table[cols].itertuples(index=False)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(cols))]
    return "\n".join("  ".join(_pad(v, w, i > 0) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
                     for r in rows)


def _text(value: Any, column: str = "") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if column.startswith("rate_"):
        return f"{value * 100:.1f}%"
    if column.endswith("_pct"):
        return f"{value:+.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill
