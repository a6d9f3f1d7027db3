"""Synthetic reports in every shape real pages arrive in, read back cell for cell.

The reports come from tests/synth.py (made-up agencies and numbers, real layouts). Each is rendered
as HTML (UTF-8 and GBK, declared right, not at all, or wrongly), seed-style one-cell-per-line text,
one-row-per-line text, span-expanded rows, Markdown and glued archived page text, and `parse` must
return `report["expected"]`:

- every shape but glued: every cell exactly;
- glued text: a 表二 cell may be null only if a warning names it (a run like `898989` has several
  readings and no total to check); a 表三/表四 row whose run has exactly one reading that adds up
  must be right, otherwise its cells are right or null with a warning naming them;
- printed totals that do not add up are kept and fail their check; blank/—/无 cells read 0 and are
  named in warnings; a blank total is the sum of its parts; label variants reach the same keys;
  an extra 表二 row is kept in `extra_rows` and shifts nothing.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from parsers import parse
from parsers.templates import T3_COLUMNS, T4_COLUMNS, t2_columns
from tests.synth import (
    CHECK_RULES,
    EXTRA_ROW_LABEL,
    INCONSISTENT_KINDS,
    SHAPES,
    build_tables,
    count_readings,
    expand_grid,
    failing_checks,
    glued_runs,
    make_report,
)

TEMPLATES = ("2019", "2021")
SEEDS = (1, 2, 3)
ALL_SHAPES = tuple(SHAPES)
EXACT_SHAPES = tuple(s for s in SHAPES if s != "glued")  # every cell must come back exactly
META_FIELDS = ("template", "year", "agency", "published", "index_no")


# ---- helpers -----------------------------------------------------------------------------------


def _opts_key(opts: dict[str, Any]) -> tuple:
    return tuple(sorted(opts.items()))


@cache
def _report(template: str, seed: int, opts: tuple) -> dict[str, Any]:
    return make_report(template, seed, **dict(opts))


@cache
def _parsed(template: str, seed: int, opts: tuple, shape: str):
    report = _report(template, seed, opts)
    return parse(SHAPES[shape](report), source=f"synthetic-{shape}")


def read(template: str, seed: int, shape: str, **opts: Any) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(synthetic report, record, Report) for one rendering; parsed once per session."""
    key = _opts_key(opts)
    parsed = _parsed(template, seed, key, shape)
    return _report(template, seed, key), parsed.to_record(), parsed


def flat_cells(tables: dict[str, Any]) -> dict[str, Any]:
    cells = {f"t2.{k}": v for k, v in (tables.get("t2") or {}).items()}
    cells.update({f"t3.{r}.{c}": v for r, cols in (tables.get("t3") or {}).items() for c, v in cols.items()})
    cells.update({f"t4.{k}": v for k, v in (tables.get("t4") or {}).items()})
    return cells


def named(warnings: list[str], name: str) -> bool:
    """A warning names the cell: `t3.granted.total`, or `granted.total` in a warning about t3."""
    table, key = name.split(".", 1)
    full = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w.])")
    short = re.compile(rf"(?<![\w.]){re.escape(key)}(?![\w.])")
    tag = re.compile(rf"(?<![\w.]){table}(?![\w])")
    return any(full.search(w) or (short.search(w) and tag.search(w)) for w in warnings)


def printed(report: dict[str, Any], name: str) -> str:
    table, key = name.split(".", 1)
    if table == "t3":
        row, col = key.rsplit(".", 1)
        return report["printed"]["t3"][row][col]
    return report["printed"][table][key]


def lenient_cells(report: dict[str, Any], shape: str) -> set[str]:
    """Cells that may come back null (with a warning naming them): in glued text, the cells of every
    row whose run holds a digit other than 0. A blank cell leaves no trace there, so such a run has
    other readings (`3000003` may be 30|0|0|0|0|3|blank-total) that only outside evidence can rule
    out; a run of zeros has one reading."""
    if shape != "glued":
        return set()
    runs = glued_runs(report)
    cells = set()
    for name, run in runs.items():
        if not any(ch in "123456789" for ch in run):
            continue
        if name == "t4":
            cells |= {f"t4.{c}" for c in T4_COLUMNS}
        elif name.startswith("t3."):
            cells |= {f"{name}.{c}" for c in T3_COLUMNS}
        else:
            cells |= {c for c in (f"t2.{k}" for k in t2_columns(report["template"])) if c.startswith(name + ".")}
    return cells


def cell_problems(report: dict[str, Any], record: dict[str, Any], shape: str) -> list[str]:
    """Every way the record's tables differ from the expected ones; [] when they match."""
    if record["error"]:
        return [f"error: {record['error']}"]
    expected = report["expected"]
    problems = []
    if set(record["t2"] or {}) != set(t2_columns(report["template"])):
        problems.append(f"t2 keys: got {sorted(record['t2'] or {})}")
    if list(record["t3"] or {}) != list(report["t3_rows"]) and set(record["t3"] or {}) != set(report["t3_rows"]):
        problems.append(f"t3 rows: got {sorted(record['t3'] or {})}, expected {sorted(report['t3_rows'])}")
    for row, cols in (record["t3"] or {}).items():
        if set(cols) != set(T3_COLUMNS):
            problems.append(f"t3.{row} columns: got {sorted(cols)}")
    if set(record["t4"] or {}) != set(T4_COLUMNS):
        problems.append(f"t4 keys: got {sorted(record['t4'] or {})}")
    got, want = flat_cells(record), flat_cells(expected)
    lenient = lenient_cells(report, shape)
    for name, value in want.items():
        if name not in got:
            continue  # reported above as a key problem
        have = got[name]
        if have is None and name in lenient:
            if not named(record["warnings"], name):
                problems.append(f"{name}: null without a warning naming it")
        elif have is None or isinstance(have, bool) or have != value:
            problems.append(f"{name}: got {have!r}, expected {value!r} (printed {printed(report, name)!r})")
    return problems


def checks_by_rule(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["rule"].split(":")[0]: c for c in record["checks"] or []}


def case(template: str, seed: int, shape: str, label: str = "") -> Any:
    return pytest.param(template, seed, shape, id=f"{template}-s{seed}{'-' + label if label else ''}-{shape}")


PLAIN_CASES = [case(t, s, sh) for t in TEMPLATES for s in SEEDS for sh in ALL_SHAPES]
ZERO_CASES = [case(t, 4, sh, "zero_heavy") for t in TEMPLATES for sh in ALL_SHAPES]


# ---- every shape, every cell -----------------------------------------------------------------------


@pytest.mark.parametrize(("template", "seed", "shape"), PLAIN_CASES)
def test_metadata_is_read_from_every_shape(template, seed, shape):
    report, record, _ = read(template, seed, shape)
    assert record["error"] is None
    assert {f: record[f] for f in META_FIELDS} == {f: report["expected"][f] for f in META_FIELDS}


@pytest.mark.parametrize(("template", "seed", "shape"), PLAIN_CASES)
def test_every_cell_is_read_from_every_shape(template, seed, shape):
    report, record, _ = read(template, seed, shape)
    assert cell_problems(report, record, shape) == []


@pytest.mark.parametrize(("template", "seed", "shape"), ZERO_CASES)
def test_zero_heavy_report(template, seed, shape):
    report, record, _ = read(template, seed, shape, zero_heavy=True)
    assert record["template"] == template
    assert cell_problems(report, record, shape) == []


@pytest.mark.parametrize(("template", "seed", "shape"), PLAIN_CASES)
def test_consistent_report_passes_every_check(template, seed, shape):
    _, record, _ = read(template, seed, shape)
    checks = checks_by_rule(record)
    assert sorted(checks) == sorted(CHECK_RULES)
    allowed = (True, None) if shape == "glued" else (True,)  # a check over a null cell is not run
    assert {r: c["ok"] for r, c in checks.items() if c["ok"] not in allowed} == {}


# ---- printed numbers that do not add up ---------------------------------------------------------------


@pytest.mark.parametrize(("template", "kind", "shape"),
                         [pytest.param(t, k, sh, id=f"{t}-{k}-{sh}") for t in TEMPLATES
                          for k in INCONSISTENT_KINDS for sh in EXACT_SHAPES])
def test_inconsistent_total_is_kept_and_fails_its_check(template, kind, shape):
    report, record, _ = read(template, 7, shape, inconsistent=kind)
    broken = report["inconsistent"]
    got = flat_cells(record)
    for name in broken["changed"]:
        assert got.get(name) == flat_cells(report["expected"])[name], f"{name} must stay as printed"
    assert cell_problems(report, record, shape) == []
    checks = checks_by_rule(record)
    assert report["failing_checks"], "the synthetic report must fail something"
    for rule in CHECK_RULES:
        if rule in report["failing_checks"]:
            assert checks[rule]["ok"] is False, f"{rule} should fail: {broken}"
            assert checks[rule]["detail"]
        else:
            assert checks[rule]["ok"] is True, f"{rule} should pass: {checks[rule]}"


# ---- blanks, dashes, 无 and blank totals ------------------------------------------------------------


@pytest.mark.parametrize(("template", "seed", "shape"),
                         [case(t, s, sh, "blank_zeros") for t in TEMPLATES for s in (5, 6, 8) for sh in EXACT_SHAPES])
def test_blank_zero_cells_read_as_zero_and_are_named(template, seed, shape):
    report, record, _ = read(template, seed, shape, blank_zeros=True)
    assert report["blank_cells"]
    assert cell_problems(report, record, shape) == []
    got = flat_cells(record)
    assert {n: got.get(n) for n in report["blank_cells"] if got.get(n) != 0} == {}
    unnamed = [n for n in report["blank_cells"] if not named(record["warnings"], n)]
    assert unnamed == [], f"blank cells not named in warnings: {unnamed}"


@pytest.mark.parametrize(("template", "seed", "shape"),
                         [case(t, s, sh, "blank_totals") for t in TEMPLATES for s in (1, 9) for sh in EXACT_SHAPES])
def test_blank_total_is_derived_from_its_parts(template, seed, shape):
    report, record, _ = read(template, seed, shape, blank_totals=True)
    assert report["derived_cells"]
    got, want = flat_cells(record), flat_cells(report["expected"])
    for name in report["derived_cells"]:
        assert printed(report, name) == ""
        assert want[name] != 0
        assert got.get(name) == want[name], f"{name}: blank total must be the sum of its parts"
        assert named(record["warnings"], name), f"{name}: derived without a warning naming it"
    assert cell_problems(report, record, shape) == []
    assert all(c["ok"] is True for c in record["checks"])


@pytest.mark.parametrize(("template", "seed", "shape"),
                         [case(t, 10, sh, "blanks_and_totals") for t in TEMPLATES for sh in EXACT_SHAPES])
def test_blank_zeros_and_blank_totals_together(template, seed, shape):
    report, record, _ = read(template, seed, shape, blank_zeros=True, blank_totals=True, zero_heavy=False)
    assert cell_problems(report, record, shape) == []
    for name in [*report["blank_cells"], *report["derived_cells"]]:
        assert named(record["warnings"], name), name


# ---- label variants, extra rows, a single （六） row ----------------------------------------------------


@pytest.mark.parametrize(("template", "seed", "shape"),
                         [case(t, s, sh, "label_variants") for t in TEMPLATES for s in (1, 11) for sh in ALL_SHAPES])
def test_label_variants_reach_the_same_keys(template, seed, shape):
    report, record, _ = read(template, seed, shape, label_variants=True)
    assert record["template"] == template
    assert cell_problems(report, record, shape) == []


@pytest.mark.parametrize(("template", "seed", "shape"),
                         [case(t, 12, sh, "extra_row") for t in TEMPLATES for sh in ALL_SHAPES])
def test_extra_row_is_kept_aside_and_shifts_nothing(template, seed, shape):
    report, record, parsed = read(template, seed, shape, extra_row=True)
    assert cell_problems(report, record, shape) == []
    kept = [r for r in parsed.extra_rows
            if EXTRA_ROW_LABEL in re.sub(r"\s+", "", json.dumps(r, ensure_ascii=False))]
    assert kept, f"extra row not in extra_rows: {parsed.extra_rows}"


@pytest.mark.parametrize("shape", ALL_SHAPES)
def test_2021_report_with_a_single_other_row(shape):
    report, record, _ = read("2021", 13, shape, single_other=True)
    assert "other" in report["t3_rows"] and "other.other" not in report["t3_rows"]
    assert record["template"] == "2021"
    assert cell_problems(report, record, shape) == []


@pytest.mark.parametrize(("template", "seed", "shape"),
                         [case(t, 14, sh, "everything") for t in TEMPLATES for sh in EXACT_SHAPES])
def test_all_variants_at_once(template, seed, shape):
    report, record, _ = read(template, seed, shape, label_variants=True, extra_row=True, blank_zeros=True,
                             blank_totals=True, inconsistent=True)
    assert cell_problems(report, record, shape) == []
    checks = checks_by_rule(record)
    assert {r for r, c in checks.items() if c["ok"] is False} == set(report["failing_checks"])


# ---- the generator itself (these hold whatever the parser does) ---------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("seed", range(1, 16))
@pytest.mark.parametrize("zero_heavy", [False, True], ids=["normal", "zero_heavy"])
def test_synthetic_report_is_consistent(template, seed, zero_heavy):
    r = make_report(template, seed, zero_heavy=zero_heavy)
    exp = r["expected"]
    assert failing_checks(exp["t3"], exp["t4"], r["t3_rows"]) == []
    assert list(exp["t2"]) == t2_columns(template)
    assert list(exp["t3"]) == r["t3_rows"]
    assert all(list(cols) == list(T3_COLUMNS) for cols in exp["t3"].values())
    assert list(exp["t4"]) == list(T4_COLUMNS)
    assert (2019 <= exp["year"] <= 2020) if template == "2019" else (2021 <= exp["year"] <= 2025)
    assert int(exp["published"][:4]) == exp["year"] + 1
    assert r["title"] == f"{exp['agency']}{exp['year']}年政府信息公开工作年度报告"
    money = "procurement.amount" if template == "2019" else "fees.amount"
    text = r["printed"]["t2"][money]
    number = float(re.sub(r"万?元$", "", text))
    scale = 10000 if text.endswith("万元") or template == "2021" else 1
    assert exp["t2"][money] == round(number * scale, 6)


def test_generator_covers_the_hard_cases():
    reports = [make_report(t, s) for t in TEMPLATES for s in range(1, 30)]
    changes = [r["expected"]["t2"][f"{row}.change"] for r in reports if r["template"] == "2019"
               for row in ("licensing", "other_services", "penalty", "coercion", "fees")]
    assert any(c < 0 for c in changes), "2019 本年增/减 must sometimes be negative"
    units = {r["printed"]["t2"]["procurement.amount"][-2:] for r in reports if r["template"] == "2019"}
    assert {"万元"} <= units and any(u.endswith("元") and u != "万元" for u in units)
    fees = [r["printed"]["t2"]["fees.amount"] for r in reports if r["template"] == "2021"]
    assert any("." in f for f in fees)


@pytest.mark.parametrize("kind", INCONSISTENT_KINDS)
@pytest.mark.parametrize("template", TEMPLATES)
def test_inconsistent_report_fails_exactly_the_recorded_checks(template, kind):
    r = make_report(template, 7, inconsistent=kind)
    clean = make_report(template, 7)
    assert r["failing_checks"]
    assert r["failing_checks"] == failing_checks(r["expected"]["t3"], r["expected"]["t4"], r["t3_rows"])
    assert r["inconsistent"]["printed"] != r["inconsistent"]["consistent"]
    assert r["expected"]["t2"] == clean["expected"]["t2"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_blank_cells_are_zero_and_derived_cells_are_sums(template):
    r = make_report(template, 10, blank_zeros=True, blank_totals=True)
    want = flat_cells(r["expected"])
    assert r["blank_cells"] and r["derived_cells"]
    assert all(want[n] == 0 and printed(r, n) == m for n, m in r["blank_cells"].items())
    assert all(printed(r, n) == "" and want[n] > 0 for n in r["derived_cells"])
    assert failing_checks(r["expected"]["t3"], r["expected"]["t4"], r["t3_rows"]) == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_renderings_have_their_shape(template):
    r = make_report(template, 3, label_variants=True, extra_row=True)
    utf8 = SHAPES["html"](r)
    assert b"charset=utf-8" in utf8 and "rowspan=" in utf8.decode("utf-8") and "<br>" in utf8.decode("utf-8")
    for name, meta in (("html_gbk", b"charset=gb2312"), ("html_gbk_as_utf8", b"charset=utf-8")):
        raw = SHAPES[name](r)
        assert meta in raw
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert r["agency"] in raw.decode("gbk")
    assert b"charset" not in SHAPES["html_gbk_nometa"](r)
    seed = SHAPES["seed_text"](r).decode("utf-8").splitlines()
    assert any(re.fullmatch(r"\|{2,}", line) for line in seed)
    assert any(line.startswith("索引号: | ") for line in seed)
    md = SHAPES["markdown"](r).decode("utf-8")
    assert "\n|---|" in md and "\n## " in md
    expanded = [line for line in SHAPES["expanded"](r).decode("utf-8").splitlines() if line.startswith("| ")]
    assert {line.count(" | ") for line in expanded} >= {9, 14}  # 表三 is 10 cells wide, 表四 15
    glued = SHAPES["glued"](r).decode("utf-8").splitlines()
    marker = glued.index("==================== 正文 ====================")
    assert len(glued) == marker + 2, "the body must be one line"
    runs = glued_runs(r)
    assert all(run in glued[-1] for run in runs.values())


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("seed", range(1, 8))
def test_glued_runs_always_admit_the_printed_reading(template, seed):
    r = make_report(template, seed)
    runs = glued_runs(r)
    for row in r["t3_rows"]:
        assert count_readings(runs[f"t3.{row}"], (7,)) >= 1, row
    assert count_readings(runs["t4"], (5, 5, 5)) >= 1


def test_count_readings():
    assert count_readings("0000000", (7,)) == 1
    assert count_readings("2 0 0 0 0 0 2", (7,)) == 1
    assert count_readings("11011", (3,)) == 2  # 1|10|11 and 11|0|11
    assert count_readings("11 011", (3,)) == 1  # the space is a sure boundary: 11|0|11 only
    assert count_readings("1 1012", (3,)) == 0  # 1|10|12, 1|101|2 do not add up; 1|1|012 has a leading zero
    assert count_readings("000000000000000", (5, 5, 5)) == 1
    assert count_readings("1 2 3 0 6", (5,)) == 1


def test_expand_grid_keeps_every_row_full_width():
    r = make_report("2021", 2)
    for _, rows in build_tables(r):
        grid = expand_grid(rows)
        assert len({len(line) for line in grid}) == 1
        assert all(slot is not None for line in grid for slot in line)
