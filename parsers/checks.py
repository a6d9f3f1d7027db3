"""The arithmetic relations (勾稽关系) of the templates, run on every record. Failures are reported, never fixed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parsers.model import Cell
from parsers.templates import T3_COLUMNS, T3_PARTS, T3_RESULT_PARTS, T4_GROUPS

PARTS = ("upheld", "corrected", "other", "pending")


def result_parts(rows: Iterable[str]) -> list[str]:
    """The rows whose sum is （七）总计, among those the report has."""
    present = set(rows)
    return [k for k in T3_RESULT_PARTS if k in present]


def _check(rule: str, failures: list[str], unknown: list[str]) -> dict[str, Any]:
    if failures:
        return {"rule": rule, "ok": False, "detail": "; ".join(failures)}
    if unknown:
        return {"rule": rule, "ok": None, "detail": "not checked, null cells: " + ", ".join(unknown)}
    return {"rule": rule, "ok": True, "detail": ""}


def _fmt(x: float | int) -> str:
    return f"{x:g}"


def check_balance(t3: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rule = "t3.balance: new_received + carried_over = results_total + carried_forward"
    failures, unknown = [], []
    for c in T3_COLUMNS:
        vals = [t3.get(r, {}).get(c) for r in ("new_received", "carried_over", "results_total", "carried_forward")]
        if None in vals:
            unknown.append(c)
        elif vals[0] + vals[1] != vals[2] + vals[3]:
            failures.append(f"{c}: {_fmt(vals[0])}+{_fmt(vals[1])} != {_fmt(vals[2])}+{_fmt(vals[3])}")
    return _check(rule, failures, unknown)


def check_results(t3: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rule = "t3.results: results_total = sum of the result rows"
    parts = result_parts(t3)
    failures, unknown = [], []
    for c in T3_COLUMNS:
        vals = [t3[r].get(c) for r in parts]
        total = t3.get("results_total", {}).get(c)
        if total is None or None in vals:
            unknown.append(c)
        elif sum(vals) != total:
            failures.append(f"{c}: rows sum to {_fmt(sum(vals))}, 总计 printed {_fmt(total)}")
    return _check(rule, failures, unknown)


def check_applicants(t3: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rule = "t3.applicants: total = sum of the six applicant columns"
    failures, unknown = [], []
    for r, cols in t3.items():
        vals = [cols.get(c) for c in T3_PARTS]
        if cols.get("total") is None or None in vals:
            unknown.append(r)
        elif sum(vals) != cols["total"]:
            failures.append(f"{r}: columns sum to {_fmt(sum(vals))}, 总计 printed {_fmt(cols['total'])}")
    return _check(rule, failures, unknown)


def check_t4(t4: dict[str, Any]) -> dict[str, Any]:
    rule = "t4.groups: total = upheld + corrected + other + pending"
    failures, unknown = [], []
    for g in T4_GROUPS:
        vals = [t4.get(f"{g}.{p}") for p in PARTS]
        total = t4.get(f"{g}.total")
        if total is None or None in vals:
            unknown.append(g)
        elif sum(vals) != total:
            failures.append(f"{g}: parts sum to {_fmt(sum(vals))}, 总计 printed {_fmt(total)}")
    return _check(rule, failures, unknown)


def run_checks(cells: list[Cell]) -> list[dict[str, Any]]:
    t3: dict[str, dict[str, Any]] = {}
    t4: dict[str, Any] = {}
    for c in cells:
        if c.table == "t3":
            t3.setdefault(c.row, {})[c.col] = c.value
        elif c.table == "t4":
            t4[c.col] = c.value
    if not t3 and not t4:
        return []
    return [check_balance(t3), check_results(t3), check_applicants(t3), check_t4(t4)]
