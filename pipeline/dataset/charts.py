"""Charts of a `compare` table for readers (dataset code: matplotlib Figures, no pyplot, no global state).

Chinese labels on any machine: the font is Noto Sans SC as shipped in the `zhplot` wheel (a
dependency; its file is found without importing zhplot), else a system CJK font, else the charts
fall back to agency ids with one warning. Every chart: agency names, Chinese titles and axes, the
y axis from 0 with integer ticks (counts), a source line, and the reports whose checks failed marked.

    figures = charts(compare_table(frames, agency="石门街道"), chart_font())
    write_charts(table, "charts/")        # compare_received.png, compare_outcomes.png, compare_cases.png
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Noto Sans CJK JP", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")
BUNDLED = ("zhplot", "fonts/NotoSansSC-Regular.ttf")  # (package, file inside it)
OUTCOME_LABELS = {"granted": "予以公开", "partially_granted": "部分公开", "denied": "不予公开", "unable": "无法提供",
                  "not_processed": "不予处理", "other": "其他处理"}
CASE_LABELS = {"reviews": "行政复议", "suits": "行政诉讼", "corrected": "结果纠正（复议+诉讼）"}
SOURCE = "来源：各机关《政府信息公开工作年度报告》表三、表四，nianbao 整理"
FAILED_LABEL = "该年报告未通过校验"
FAILED_COLOR = "#c0392b"


@dataclass(frozen=True)
class ChartFont:
    name: str  # the family name matplotlib knows it by
    path: Path | None  # the font file (None for a family matplotlib already had)


def bundled_font_path() -> Path | None:
    """Noto Sans SC of the zhplot wheel, located without importing the package."""
    spec = importlib.util.find_spec(BUNDLED[0])
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / BUNDLED[1]
        if path.is_file():
            return path
    return None


def chart_font() -> ChartFont | None:
    """A font with Chinese glyphs, registered with matplotlib; None (with a warning) when there is none."""
    from matplotlib import font_manager

    for path in filter(None, [bundled_font_path(), *_fc_list_zh()]):
        try:
            font_manager.fontManager.addfont(str(path))
            return ChartFont(font_manager.FontProperties(fname=str(path)).get_name(), Path(path))
        except (OSError, RuntimeError, ValueError):
            continue
    known = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return ChartFont(family, Path(known[family]))
    log.warning("no font with Chinese glyphs found (the zhplot package is missing and fc-list :lang=zh is "
                "empty; run `uv sync`): charts label agencies by agency_id")
    return None


def _fc_list_zh() -> list[Path]:
    if shutil.which("fc-list") is None:
        return []
    try:
        done = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return [Path(line.split(":", 1)[0].strip()) for line in done.stdout.splitlines() if line.strip()]


@contextmanager
def font_context(font: ChartFont | None) -> Iterator[None]:
    """matplotlib settings for drawing and saving (text is laid out when the figure is saved)."""
    from matplotlib import rc_context

    families = [font.name, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with rc_context({"font.family": families, "font.sans-serif": families, "axes.unicode_minus": False}):
        yield


def charts(table: pd.DataFrame, font: ChartFont | None = None) -> dict[str, Any]:
    """{"received": Figure, "outcomes": Figure, "cases": Figure}; Chinese labels when font is given."""
    from matplotlib.figure import Figure

    with font_context(font):
        figures = {
            "received": _received(Figure(figsize=(8, 4.8)), table, "agency" if font else "agency_id", bool(font)),
            "outcomes": _outcomes(Figure(figsize=(8, 4.8)), table, bool(font)),
            "cases": _cases(Figure(figsize=(8, 4.8)), table, bool(font)),
        }
        for fig in figures.values():  # lay out now: tick labels are made with this font, so a figure
            fig.draw_without_rendering()  # shown later (a notebook) draws Chinese without the context
    return figures


def _received(fig: Any, table: pd.DataFrame, label: str, chinese: bool) -> Any:
    ax = fig.subplots()
    top = table.groupby("agency_id")["received"].sum().sort_values(ascending=False).index[:10]
    marked = False
    for _agency_id, rows in table[table["agency_id"].isin(top)].groupby("agency_id"):
        rows = rows.dropna(subset=["received"])
        if rows.empty:
            continue
        ax.plot(rows["year"].astype(int), rows["received"].astype(float), marker="o", label=str(rows[label].iloc[0]))
        marked = _mark_failed(ax, rows, "received") or marked
    _frame(fig, ax, table, chinese, ("本年新收政府信息公开申请", "申请（件）"), ("Requests received", "requests"),
           failed_marked=marked)
    return fig


def _outcomes(fig: Any, table: pd.DataFrame, chinese: bool) -> Any:
    ax = fig.subplots()
    sums = table.groupby("year")[list(OUTCOME_LABELS)].sum(min_count=1).astype(float).fillna(0)
    bottom = None
    for name, zh in OUTCOME_LABELS.items():
        ax.bar(sums.index.astype(int), sums[name], bottom=bottom, label=zh if chinese else name)
        bottom = sums[name] if bottom is None else bottom + sums[name]
    failed = _failed_years(table)
    if bottom is not None:
        for year in failed & set(sums.index.astype(int)):
            ax.annotate("✗" if not chinese else "未通过校验", (year, float(bottom.loc[year])), ha="center",
                        va="bottom", color=FAILED_COLOR, fontsize="small", xytext=(0, 3), textcoords="offset points")
    _frame(fig, ax, table, chinese, (f"申请的办理结果（2019、2021 模板可比）{_scope(table)}", "申请（件）"),
           ("How requests were handled", "requests"))
    return fig


def _cases(fig: Any, table: pd.DataFrame, chinese: bool) -> Any:
    ax = fig.subplots()
    sums = table.groupby("year")[list(CASE_LABELS)].sum(min_count=1).astype(float)
    for name, zh in CASE_LABELS.items():
        series = sums[name].dropna()
        ax.plot(series.index.astype(int), series, marker="o", label=zh if chinese else name)
    failed = sorted(_failed_years(table) & set(sums.index.astype(int)))
    if failed:
        peak = sums.loc[failed].max(axis=1).fillna(0)
        ax.scatter(failed, peak, s=160, facecolors="none", edgecolors=FAILED_COLOR, linewidths=1.5,
                   label=FAILED_LABEL if chinese else "checks failed", zorder=3)
    _frame(fig, ax, table, chinese, (f"因政府信息公开引起的行政复议、行政诉讼{_scope(table)}", "案件（件）"),
           ("Reconsiderations and suits", "cases"))
    return fig


def _scope(table: pd.DataFrame) -> str:
    """"\n云泽市石门街道" for one agency, "\n3 个机关合计" for several (the bars and lines are sums)."""
    names = table["agency"].dropna().unique() if "agency" in table else []
    if len(names) == 1:
        return f"\n{names[0]}"
    return f"\n{table['agency_id'].nunique()} 个机关合计" if len(table) else ""


def _mark_failed(ax: Any, rows: pd.DataFrame, column: str) -> bool:
    """A red ring around the points of reports whose checks failed; True when there is one."""
    bad = rows[rows["checks_failed"].notna()] if "checks_failed" in rows else rows.iloc[:0]
    if not bad.empty:
        ax.scatter(bad["year"].astype(int), bad[column].astype(float), s=160, facecolors="none",
                   edgecolors=FAILED_COLOR, linewidths=1.5, zorder=3, label=f"_{FAILED_LABEL}")
    return not bad.empty


def _failed_years(table: pd.DataFrame) -> set[int]:
    if "checks_failed" not in table:
        return set()
    return {int(y) for y in table.loc[table["checks_failed"].notna(), "year"].dropna()}


def _frame(fig: Any, ax: Any, table: pd.DataFrame, chinese: bool, zh: tuple[str, str], en: tuple[str, str],
           failed_marked: bool = False) -> None:
    """Title, axis labels, years on x, counts from 0 with integer ticks on y, legend, source line."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    title, ylabel = zh if chinese else en
    ax.set(title=title, xlabel="年度" if chinese else "year", ylabel=ylabel)
    years = sorted({int(y) for y in table["year"].dropna()})
    if years:
        ax.set_xticks(years)
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1) * 1.08)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    if failed_marked:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor=FAILED_COLOR,
                              markersize=10))
        labels.append(FAILED_LABEL if chinese else "checks failed")
    if handles:
        ax.legend(handles, labels, fontsize="small", frameon=False)
    fig.text(0.01, 0.005, SOURCE if chinese else "Source: annual reports (tables 3 and 4), compiled by nianbao",
             fontsize=7.5, color="#555555", ha="left", va="bottom")
    fig.subplots_adjust(bottom=0.16)


def drawn_texts(fig: Any) -> list[str]:
    """Every text a figure draws (titles, labels, tick labels, legend, annotations, figure texts)."""
    from matplotlib.text import Text

    fig.draw_without_rendering()  # tick labels exist once the figure is laid out
    return [t.get_text() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]


def missing_glyphs(texts: list[str], font_path: Path) -> set[str]:
    """The characters of texts that the font has no glyph for (white space aside)."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(font_path), lazy=True).getBestCmap()
    return {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in cmap}


def write_charts(table: pd.DataFrame, out_dir: str | Path, prefix: str = "compare") -> list[Path]:
    """PNG files <prefix>_received.png, _outcomes.png, _cases.png in out_dir (temp + rename)."""
    from pipeline.dataset.export import replace_all

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    font = chart_font()
    figures = charts(table, font)
    with font_context(font):
        jobs = [(out / f"{prefix}_{name}.png", _png_writer(fig)) for name, fig in figures.items()]
        return replace_all(jobs)


def _png_writer(fig: Any) -> Any:
    def write(fh: Any) -> None:
        fig.savefig(fh, format="png", dpi=120)
    return write


def png_bytes(fig: Any, font: ChartFont | None, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (for a notebook: IPython.display.Image(png_bytes(fig, font)))."""
    import io

    buffer = io.BytesIO()
    with font_context(font):
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
