"""Evidence one document cannot give itself: its twin rendering, and last year's report.

A site often publishes one report twice (the HTML page and its PDF/DOCX attachment; an archive may
hold page text and page HTML). Two readings are **twins** when they are of the same agency and year
(or one is an attachment of the other's page) and their tables agree on at least
TWIN_AGREEMENT of the cells both read. Of a group of twins the dataset keeps one report (the best
reading: fewest cells left null, then fewest failed checks, then fewest warnings); the others point at
it in `reports.twin_of`. The kept report gets, from its twins:

- a cell it could not read (missing, unreadable, undecided) that a twin states: the twin's value,
  kind `twin_<format>` (the rendering it came from); an undecided cell only when the twin's value is
  one of its own candidate readings;
- an undecided cell whose candidates meet a twin's undecided candidates in exactly one value: that value;
- a cell the two state differently: null, kind `twin_conflict`, and a failed crosscheck `twin`
  naming both values. Nothing is picked silently.

Last year's report (same agency, previous year, the relation 四、结转下年度继续办理 = next year's
二、上年结转) settles a carried-over cell left undecided, kind `last_year`, only when last year's stated
value is one of the cell's candidate readings; and the other way round.

Pure functions over parsed records (no I/O, no DataFrames): `settle_across` asks for the few records
involved; the table builder applies the result (and fills the crosscheck rows' agency_id).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from parsers.checks import run_checks
from parsers.model import MISSING, UNDECIDED, UNREADABLE, Cell, Report
from parsers.templates import T3_COLUMNS
from pipeline.dataset.agencies import agency_key

TWIN_CHECK = "twin"
TWIN_CONFLICT = "twin_conflict"
LAST_YEAR = "last_year"
TWIN_FORMATS = ("html", "text", "markdown", "pdf", "docx", "doc")
DATASET_KINDS = (*(f"twin_{fmt}" for fmt in TWIN_FORMATS), TWIN_CONFLICT, LAST_YEAR)
TWIN_AGREEMENT = 0.9  # share of the cells both read that must agree for two readings to be twins
MIN_COMMON = 10  # fewer cells read by both: too little to tell twins from two different reports
MIN_NONZERO = 3  # non-zero cells that must agree when some cells do not
_OPEN = (MISSING, UNREADABLE, UNDECIDED)


@dataclass(frozen=True)
class Meta:
    """What grouping needs of one report read: cheap to keep for every document of a run."""

    report_id: str
    agency: str | None  # agency_key of the report's agency
    year: int | None
    url: str | None = None
    parent_url: str | None = None
    open_carry: bool = False  # a carried-over / carried-forward cell is undecided


@dataclass
class Settlement:
    """What the other documents decided: replaced reports, twins dropped, crosscheck rows."""

    reports: dict[str, Report] = field(default_factory=dict)
    twin_of: dict[str, str] = field(default_factory=dict)
    crosschecks: list[dict[str, Any]] = field(default_factory=list)


def meta_of(report_id: str, report: Report, prov: dict[str, Any]) -> Meta | None:
    """The grouping key of a report read (None for a document that could not be read)."""
    if report.error is not None or report.template is None:
        return None
    open_carry = any(name.startswith(("t3.carried_over.", "t3.carried_forward.")) for name in report.undecided)
    return Meta(report_id, agency_key(report.agency), report.year, prov.get("url"), prov.get("parent_url"),
                open_carry)


def settle_across(metas: Iterable[Meta], load: Callable[[str], Report]) -> Settlement:
    """Twins and last year's carry-over, over a whole run: `load(report_id)` is asked only for the
    reports involved (possible twins, and year pairs where a carry-over cell is undecided)."""
    metas = [m for m in metas if m is not None]
    by_id = {m.report_id: m for m in metas}
    out = Settlement()
    for ids in twin_candidates(metas):
        found = settle_twins({rid: load(rid) for rid in ids}, by_id)
        out.reports.update(found.reports)
        out.twin_of.update(found.twin_of)
        out.crosschecks += found.crosschecks
    for last_id, this_id in year_pairs(metas, out.twin_of):
        if not (by_id[last_id].open_carry or by_id[this_id].open_carry):
            continue
        last = out.reports.get(last_id) or copy.deepcopy(load(last_id))
        this = out.reports.get(this_id) or copy.deepcopy(load(this_id))
        done_last, done_this = settle_carry_over(last, this)
        if done_last:
            out.reports[last_id] = last
        if done_this:
            out.reports[this_id] = this
    return out


def twin_candidates(metas: Iterable[Meta]) -> list[list[str]]:
    """Groups of report ids that may be twins: same agency and year, or an attachment and its page."""
    metas = list(metas)
    parent = {m.report_id: m.report_id for m in metas}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    by_key: dict[tuple[str, int], str] = {}
    by_url = {m.url: m.report_id for m in metas if m.url}
    for m in metas:
        if m.agency and m.year is not None:
            join(m.report_id, by_key.setdefault((m.agency, m.year), m.report_id))
        if m.parent_url and m.parent_url in by_url:
            join(m.report_id, by_url[m.parent_url])
    groups: dict[str, list[str]] = defaultdict(list)
    for m in metas:
        groups[root(m.report_id)].append(m.report_id)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def year_pairs(metas: Iterable[Meta], twin_of: dict[str, str]) -> list[tuple[str, str]]:
    """(last year's report id, this year's) for agencies with exactly one kept report in both years."""
    kept: dict[tuple[str, int], list[str]] = defaultdict(list)
    for m in metas:
        if m.agency and m.year is not None and m.report_id not in twin_of:
            kept[(m.agency, m.year)].append(m.report_id)
    return [(kept[(agency, year - 1)][0], ids[0]) for (agency, year), ids in sorted(kept.items())
            if len(ids) == 1 and len(kept.get((agency, year - 1), [])) == 1]


# ---- twins -----------------------------------------------------------------------------------------


def _name(cell: Cell) -> str:
    return f"{cell.table}.{cell.key}"


def _stated(report: Report) -> dict[str, Cell]:
    return {_name(c): c for c in report.cells if c.value is not None}


def are_twins(a: Report, b: Report) -> bool:
    """Same template, and the tables agree on at least TWIN_AGREEMENT of the cells both state."""
    if a.template != b.template:
        return False
    sa, sb = _stated(a), _stated(b)
    common = sa.keys() & sb.keys()
    if len(common) < MIN_COMMON:
        return False
    agreeing = [k for k in common if sa[k].value == sb[k].value]
    if len(agreeing) < TWIN_AGREEMENT * len(common):
        return False
    # tables of zeros agree whatever the report: a disagreement needs real numbers agreeing beside it
    return len(agreeing) == len(common) or sum(1 for k in agreeing if sa[k].value) >= MIN_NONZERO


def reading_rank(report: Report) -> tuple[int, int, int]:
    """Lower is better: cells left null, failed checks, warnings."""
    nulls = sum(1 for c in report.cells if c.value is None)
    failed = sum(1 for c in report.checks if c.get("ok") is False)
    return nulls, failed, len(report.warnings)


def settle_twins(group: dict[str, Report], meta: dict[str, Meta]) -> Settlement:
    """One group of possible twins (report id -> report): the kept report, completed from its twins."""
    order = sorted(group, key=lambda rid: (reading_rank(group[rid]), rid))
    best_id = order[0]
    twins = [rid for rid in order[1:] if are_twins(group[best_id], group[rid])]
    out = Settlement()
    if not twins:
        return out
    kept = copy.deepcopy(group[best_id])
    for rid in twins:
        out.twin_of[rid] = best_id
        out.crosschecks += _complete_from(kept, best_id, group[rid], rid, meta[best_id])
    kept.checks = run_checks(kept.cells)
    out.reports[best_id] = kept
    return out


def _complete_from(kept: Report, kept_id: str, twin: Report, twin_id: str, meta: Meta) -> list[dict[str, Any]]:
    theirs = {_name(c): c for c in twin.cells}
    kind = f"twin_{twin.format}" if twin.format in TWIN_FORMATS else "twin_text"
    rows = []
    for cell in kept.cells:
        name, other = _name(cell), theirs.get(_name(cell))
        if other is None or cell.kind in DATASET_KINDS:
            continue
        value = _twin_value(cell, other, kept.undecided.get(name), twin.undecided.get(name))
        if value is _AGREE:
            continue
        if value is _CONFLICT:
            rows.append(_conflict_row(meta, kept_id, twin_id, name, cell, other, twin.format))
            kept.warnings.append(f"{name}: this reading and its {twin.format} twin ({twin_id}) differ "
                                 f"({_shown(cell)} vs {_shown(other)}); left null")
            cell.value, cell.kind = None, TWIN_CONFLICT
            continue
        cell.value, cell.kind, cell.raw = value, kind, other.raw if other.value is not None else cell.raw
        kept.undecided.pop(name, None)
        kept.warnings.append(f"{name}: read from its {twin.format} twin ({twin_id})")
    return rows


_AGREE, _CONFLICT = object(), object()


def _twin_value(cell: Cell, other: Cell, mine: list | None, theirs: list | None) -> Any:
    """The value the twin gives this cell, _AGREE when it adds nothing, _CONFLICT when they differ."""
    if cell.value is not None:
        return _AGREE if other.value is None or other.value == cell.value else _CONFLICT
    if other.value is not None:
        if cell.kind == UNDECIDED and mine is not None and other.value not in mine:
            return _CONFLICT
        return other.value
    if cell.kind == UNDECIDED and mine and theirs:
        both = set(mine) & set(theirs)
        return both.pop() if len(both) == 1 else _AGREE
    return _AGREE


def _count(value: Any) -> int | None:
    """A crosscheck's expected/found are counts: an amount with a fraction is left to the detail."""
    return int(value) if value is not None and float(value).is_integer() else None


def _shown(cell: Cell) -> str:
    return "undecided" if cell.value is None else f"{cell.value:g}"


def _conflict_row(meta: Meta, kept_id: str, twin_id: str, name: str, cell: Cell, other: Cell,
                  fmt: str | None) -> dict[str, Any]:
    # agency_id is filled by the table builder, which resolves agencies
    return {"check_name": TWIN_CHECK, "agency_id": None, "year": meta.year, "report_id": kept_id,
            "other_report_id": twin_id, "ok": False, "expected": _count(other.value), "found": _count(cell.value),
            "detail": f"{name}: {_shown(cell)} here, {_shown(other)} in the {fmt} twin"}


# ---- last year -------------------------------------------------------------------------------------


def settle_carry_over(last: Report, this: Report) -> tuple[list[str], list[str]]:
    """Undecided carried-over cells settled by the other year's stated value, in place; the cell
    names settled in (last, this)."""
    done_last, done_this = [], []
    for col in T3_COLUMNS:
        if _settle_cell(this, f"t3.carried_over.{col}", _value(last, f"t3.carried_forward.{col}")):
            done_this.append(f"t3.carried_over.{col}")
        if _settle_cell(last, f"t3.carried_forward.{col}", _value(this, f"t3.carried_over.{col}")):
            done_last.append(f"t3.carried_forward.{col}")
    for report, done, other in ((last, done_last, "next year's 上年结转"), (this, done_this, "last year's 结转下年度")):
        if done:
            report.checks = run_checks(report.cells)
            report.warnings.append(f"{', '.join(done)}: settled by {other} (one of the glued readings)")
    return done_last, done_this


def _value(report: Report, name: str) -> Any:
    cell = next((c for c in report.cells if _name(c) == name), None)
    return None if cell is None or cell.kind == UNDECIDED else cell.value


def _settle_cell(report: Report, name: str, value: Any) -> bool:
    candidates = report.undecided.get(name)
    if value is None or not candidates or value not in candidates:
        return False
    cell = next(c for c in report.cells if _name(c) == name)
    cell.value, cell.kind = value, LAST_YEAR
    report.undecided.pop(name)
    return True
