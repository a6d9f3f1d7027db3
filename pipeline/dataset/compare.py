"""Year-by-year comparison of agencies (dataset code: DataFrames; charts with matplotlib, Agg).

`compare_table(frames, agency=…, region=…)` gives one row per agency and year with the main
measures (from the `comparable` table, so 2019- and 2021-template years line up), the change from
the agency's previous year, the rank of requests received among all agencies that year, and the
checks that failed (the report's own relations and the cross-year checks).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.dataset.agencies import agency_key
from pipeline.dataset.crosswalk import T3_GROUP_SUMS
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
TERMINAL = ("agency", "year", "received", "received_change", "received_rank", "granted", "partially_granted",
            "denied", "unable", "not_processed", "other", "reviews", "suits", "corrected", "checks_failed")
OUTCOMES = ("granted", "partially_granted", "denied", "unable", "not_processed", "other")
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")


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
    ranks = _ranks(comparable)
    ids = select_agencies(frames["agencies"], agency, region)
    chosen = comparable[comparable["agency_id"].isin(ids)]
    names = frames["agencies"].set_index("agency_id")["name"]
    out = pd.DataFrame({"agency_id": chosen["agency_id"], "agency": chosen["agency_id"].map(names),
                        "year": chosen["year"], "template": chosen["template"], "report_id": chosen["report_id"]})
    for name, col in (MEASURES | REASONS).items():
        out[name] = chosen[col]
    out = out.sort_values(["agency_id", "year"]).reset_index(drop=True)
    for name in CHANGED:
        out[f"{name}_change"] = _change(out, name)
    out["received_rank"] = out["report_id"].map(ranks["rank"]).astype("Int64")
    out["agencies_that_year"] = out["report_id"].map(ranks["of"]).astype("Int64")
    out["checks_failed"] = out["report_id"].map(failed_checks(frames)).astype("string")
    return out


def _one_per_year(comparable: pd.DataFrame) -> pd.DataFrame:
    """The first report (by report_id) of each agency and year, as the cross-year checks use."""
    known = comparable[comparable["agency_id"].notna() & comparable["year"].notna()]
    return known.sort_values(["agency_id", "year", "report_id"]).drop_duplicates(["agency_id", "year"])


def _ranks(comparable: pd.DataFrame) -> pd.DataFrame:
    """Rank of requests received among all agencies of the dataset in the same year (1 = most)."""
    received = comparable[MEASURES["received"]]
    rank = received.groupby(comparable["year"]).rank(method="min", ascending=False)
    of = received.notna().groupby(comparable["year"]).transform("sum")
    return pd.DataFrame({"rank": rank.to_numpy(), "of": of.to_numpy()}, index=comparable["report_id"].to_numpy())


def _change(out: pd.DataFrame, name: str) -> pd.Series:
    """Change from the same agency's previous year (null when that year is absent)."""
    prev_year = out.groupby("agency_id")["year"].shift(1)
    prev = out.groupby("agency_id")[name].shift(1)
    change = out[name] - prev
    return change.where(prev_year == out["year"] - 1).astype("Float64")


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
    """The table as aligned text (CJK characters count as two columns)."""
    cols = [c for c in columns if c in table.columns]
    rows = [cols] + [[_text(v) for v in rec] for rec in table[cols].itertuples(index=False)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(cols))]
    return "\n".join("  ".join(_pad(v, w, i > 0) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
                     for r in rows)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


# ---- charts -----------------------------------------------------------------------------------


def cjk_font() -> str | None:
    """A font family with Chinese glyphs that matplotlib can use, or None (with a warning)."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in _fc_list_zh():
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
    log.warning("no font with Chinese glyphs found (fc-list :lang=zh is empty; Debian: apt-get install "
                "fonts-noto-cjk): charts label agencies by agency_id")
    return None


def _fc_list_zh() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        done = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":", 1)[0].strip() for line in done.stdout.splitlines() if line.strip()]


def charts(table: pd.DataFrame, font: str | None = None) -> dict[str, Any]:
    """{"received": Figure, "outcomes": Figure, "cases": Figure} (matplotlib Figures, no pyplot)."""
    from matplotlib.figure import Figure

    if font:
        from matplotlib import rcParams
        rcParams["font.sans-serif"] = [font, *rcParams["font.sans-serif"]]
    label = "agency" if font else "agency_id"
    figures = {}
    figures["received"] = _lines(Figure(figsize=(8, 4.5)), table, label)
    figures["outcomes"] = _outcomes(Figure(figsize=(8, 4.5)), table)
    figures["cases"] = _cases(Figure(figsize=(8, 4.5)), table)
    return figures


def _lines(fig: Any, table: pd.DataFrame, label: str) -> Any:
    ax = fig.subplots()
    top = table.groupby("agency_id")["received"].sum().sort_values(ascending=False).index[:10]
    for _agency_id, rows in table[table["agency_id"].isin(top)].groupby("agency_id"):
        rows = rows.dropna(subset=["received"])
        if rows.empty:
            continue
        ax.plot(rows["year"].astype(int), rows["received"].astype(float), marker="o", label=str(rows[label].iloc[0]))
    ax.set(title="Requests received (t3.new_received.total)", xlabel="year", ylabel="requests")
    _years_axis(ax, table)
    if ax.get_lines():
        ax.legend(fontsize="small")
    return fig


def _outcomes(fig: Any, table: pd.DataFrame) -> Any:
    ax = fig.subplots()
    sums = table.groupby("year")[list(OUTCOMES)].sum(min_count=1).astype(float).fillna(0)
    bottom = None
    for name in OUTCOMES:
        ax.bar(sums.index.astype(int), sums[name], bottom=bottom, label=name)
        bottom = sums[name] if bottom is None else bottom + sums[name]
    ax.set(title="How requests were handled (comparable across templates)", xlabel="year", ylabel="requests")
    _years_axis(ax, table)
    ax.legend(fontsize="small")
    return fig


def _cases(fig: Any, table: pd.DataFrame) -> Any:
    ax = fig.subplots()
    sums = table.groupby("year")[["reviews", "suits", "corrected"]].sum(min_count=1).astype(float)
    for name in sums.columns:
        ax.plot(sums.index.astype(int), sums[name], marker="o", label=name)
    ax.set(title="Reconsiderations, suits and corrected outcomes (t4)", xlabel="year", ylabel="cases")
    _years_axis(ax, table)
    ax.legend(fontsize="small")
    return fig


def _years_axis(ax: Any, table: pd.DataFrame) -> None:
    years = sorted({int(y) for y in table["year"].dropna()})
    if years:
        ax.set_xticks(years)


def write_charts(table: pd.DataFrame, out_dir: str | Path, prefix: str = "compare") -> list[Path]:
    """PNG files <prefix>_received.png, _outcomes.png, _cases.png in out_dir (temp + rename)."""
    from pipeline.dataset.export import replace_all

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = charts(table, cjk_font())
    jobs = [(out / f"{prefix}_{name}.png", _png_writer(fig)) for name, fig in figures.items()]
    return replace_all(jobs)


def _png_writer(fig: Any) -> Any:
    def write(fh: Any) -> None:
        fig.savefig(fh, format="png", dpi=120, bbox_inches="tight")
    return write
