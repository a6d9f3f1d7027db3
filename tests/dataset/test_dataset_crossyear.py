"""Cross-year checks: 结转下年度 → next year's 上年结转 per column, and the numbers the prose quotes."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

import parsers
from parsers.narrative import narrative_numbers
from parsers.templates import T3_COLUMNS
from pipeline.dataset.normalize import records_to_frames
from tests.make_samples import series
from tests.synth import SHAPES

NO_OVERRIDES = "/nonexistent/overrides.csv"


def items(reports: list[tuple[dict, str, str]], narrative: bool = True) -> list[tuple]:
    """Parse each synthetic report (parse reads the prose numbers); narrative=False drops them."""
    out = []
    for report, shape, name in reports:
        raw = SHAPES[shape](report)
        parsed = parsers.parse(raw, name)
        assert parsed.error is None, parsed.error
        if not narrative:
            parsed.narrative = {}
        out.append((parsed, {"source": name, "sha256": hashlib.sha256(raw).hexdigest(), "size_bytes": len(raw)}))
    return out


def checks(frames: dict[str, pd.DataFrame], check: str) -> list[dict]:
    cross = frames["crosschecks"]
    return cross[cross["check_name"] == check].sort_values("year").to_dict("records")


def test_carry_over_passes_when_last_years_carried_forward_is_this_years_carried_over():
    frames = records_to_frames(items(series(carry=(True, True))), overrides=NO_OVERRIDES)
    carry = checks(frames, "carry_over")
    assert [(r["year"], r["ok"]) for r in carry] == [(2021, True), (2022, True)]
    assert frames["agencies"]["agency_id"].nunique() == 1  # three spellings, one agency
    assert all(pd.isna(r["detail"]) for r in carry)


def test_carry_over_fails_per_column_and_says_which():
    made = series(carry=(True, False))
    frames = records_to_frames(items(made), overrides=NO_OVERRIDES)
    carry = {r["year"]: r for r in checks(frames, "carry_over")}
    assert carry[2021]["ok"] is True and carry[2022]["ok"] is False
    forward = made[1][0]["expected"]["t3"]["carried_forward"]["natural_person"]
    assert f"natural_person: {forward} ≠ {forward + 1}" in carry[2022]["detail"]
    assert carry[2022]["other_report_id"] == carry[2021]["report_id"]
    assert carry[2022]["found"] - carry[2022]["expected"] == 1


def test_a_carry_over_with_a_null_cell_is_not_checkable_but_a_wrong_column_still_fails():
    from pipeline.dataset.crossyear import carry_row

    prev = {"year": 2020, "report_id": "a" * 16, **{f"t3_carried_forward_{c}": 1 for c in T3_COLUMNS}}
    this = {"year": 2021, "report_id": "b" * 16, "agency_id": "ag-" + "0" * 12,
            **{f"t3_carried_over_{c}": 1 for c in T3_COLUMNS}}
    assert carry_row(prev, this)["ok"] is True
    this["t3_carried_over_research"] = None
    row = carry_row(prev, this)
    assert row["ok"] is None and row["detail"] == "null in research"
    this["t3_carried_over_commercial"] = 2
    assert carry_row(prev, this)["ok"] is False


def test_no_carry_check_across_a_gap_year():
    made = series(carry=(True, True))
    frames = records_to_frames(items([made[0], made[2]]), overrides=NO_OVERRIDES)
    assert checks(frames, "carry_over") == []


def test_a_second_report_for_the_same_agency_and_year_is_flagged():
    made = series(carry=(True, True))
    twin = dict(made[1][0], seed=999)
    frames = records_to_frames(items([*made, (twin, "html", "twin.html")]), overrides=NO_OVERRIDES)
    assert [r["ok"] for r in checks(frames, "one_report_per_year")] == [False]


def test_narrative_numbers_that_match_the_tables_pass():
    frames = records_to_frames(items(series(carry=(True, True))), overrides=NO_OVERRIDES)
    received = checks(frames, "narrative.received")
    assert len(received) == 3 and all(r["ok"] is True for r in received)
    assert all(r["ok"] is True for r in checks(frames, "narrative.carried_over"))


def test_narrative_numbers_that_differ_from_the_tables_fail():
    made = series(carry=(True, True))
    report = made[2][0]
    true = report["expected"]["t3"]["new_received"]["total"]
    said = true + report["expected"]["t3"]["carried_over"]["total"] + 1  # neither new nor new + carried over
    report["narrative"]["general"][2] = f"（二）依申请公开。全年共收到政府信息公开申请{said}件，均在法定期限内答复。"
    frames = records_to_frames(items(made), overrides=NO_OVERRIDES)
    failed = [r for r in checks(frames, "narrative.received") if r["ok"] is False]
    assert len(failed) == 1 and failed[0]["year"] == 2022
    assert failed[0]["detail"] == f"prose says {said}, t3_new_received_total is {true}"


def test_prose_counting_new_and_carried_over_together_is_accepted_and_said_so():
    made = series(carry=(True, True))
    t3 = made[1][0]["expected"]["t3"]
    both = t3["new_received"]["total"] + t3["carried_over"]["total"]
    assert t3["carried_over"]["total"] > 0
    made[1][0]["narrative"]["general"][2] = f"全年共收到政府信息公开申请{both}件。"
    frames = records_to_frames(items(made), overrides=NO_OVERRIDES)
    row = next(r for r in checks(frames, "narrative.received") if r["year"] == 2021)
    assert row["ok"] is True and "together" in row["detail"]


def test_parse_reads_the_narrative_numbers():
    report, shape, name = series()[0]
    assert parsers.parse(SHAPES[shape](report), name).narrative == narrative_numbers(
        SHAPES[shape](report).decode("utf-8"))


def test_without_narrative_numbers_there_is_no_narrative_check():
    frames = records_to_frames(items(series(), narrative=False), overrides=NO_OVERRIDES)
    assert not frames["crosschecks"]["check_name"].str.startswith("narrative").any()
    assert frames["reports"]["narrative"].isna().all()


@pytest.mark.parametrize(("text", "expected"), [
    ("全年共收到政府信息公开申请12件，上年结转3件，均在法定期限内答复。", {"received": 12, "carried_over": 3}),
    ("本年度新收政府信息公开申请数量为 1,234 件", {"received": 1234}),
    ("共收到申请１２件，予以公开5件，部分公开2件，结转下年度继续办理1件。",
     {"received": 12, "granted": 5, "partially_granted": 2, "carried_forward": 1}),
    ("全年未收到政府信息公开申请。", {"received": 0}),
    ("本年度发生政府信息公开行政复议2起、行政诉讼1件。", {"review": 2, "suit": 1}),
    ("予以公开及部分公开258件，占33.9%；不予公开35件", {"granted_or_partial": 258}),
    ("行政复议结果维持0000（一）予以公开3000003", {}),
    ("", {}),
])
def test_narrative_numbers(text, expected):
    assert narrative_numbers(text) == expected
