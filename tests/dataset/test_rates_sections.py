"""Rates of `comparable` (shares, 纠错率, % change, rank among the same level) and the `sections` table."""

from __future__ import annotations

import pandas as pd
import pytest

from parsers.model import Report, Section
from pipeline.dataset.rates import add_rates, agency_level, share
from pipeline.dataset.schema import COMPARABLE_SCHEMA, frame_of
from pipeline.dataset.sections import REPEAT_THRESHOLD, section_rows, sections_frame, similarity


def comparable(rows: list[dict]) -> pd.DataFrame:
    return frame_of(rows, COMPARABLE_SCHEMA)


def row(report_id: str, agency_id: str, year: int, received: float | None, *, granted=1.0, results=4.0,
        corrected=1.0, total=5.0, pending=1.0) -> dict:
    return {"report_id": report_id, "agency_id": agency_id, "year": year, "t3_new_received_total": received,
            "t3_granted_total": granted, "t3_partially_granted_total": 1.0, "t3_denied_all_total": 1.0,
            "t3_unable_all_total": 1.0, "t3_results_total_total": results, "t4_all_corrected": corrected,
            "t4_all_total": total, "t4_all_pending": pending}


AGENCIES = pd.DataFrame({"agency_id": ["ag-a", "ag-b", "ag-c", "ag-d"],
                         "name": ["甲市财政局", "乙市教育局", "甲市某某街道", "不知名单位"],
                         "province": [None, None, None, None], "city": ["甲市", "乙市", "甲市", None],
                         "county": [None, None, None, None]})


def test_shares_and_correction_rate():
    out = add_rates(comparable([row("1" * 16, "ag-a", 2021, 10.0)]), AGENCIES)
    assert out.loc[0, "rate_granted"] == 0.25 and out.loc[0, "rate_denied"] == 0.25
    assert out.loc[0, "rate_corrected"] == 0.25  # 1 corrected of 5 cases, 1 still pending


def test_no_share_of_nothing_and_no_share_of_a_missing_row():
    out = add_rates(comparable([row("1" * 16, "ag-a", 2021, 0.0, granted=0.0, results=0.0, total=2.0, pending=2.0),
                                row("2" * 16, "ag-b", 2021, 3.0, granted=None)]), AGENCIES)
    assert out["rate_granted"].isna().all()  # 0 decided; granted row missing
    assert pd.isna(out.loc[0, "rate_corrected"])  # every case still pending
    assert share(pd.Series([1.0]), pd.Series([pd.NA], dtype="Float64")).isna().all()


def test_change_and_rank_among_the_same_level():
    out = add_rates(comparable([row("1" * 16, "ag-a", 2020, 10.0), row("2" * 16, "ag-a", 2021, 15.0),
                                row("3" * 16, "ag-b", 2021, 30.0), row("4" * 16, "ag-c", 2021, 99.0),
                                row("5" * 16, "ag-d", 2021, 1.0), row("6" * 16, "ag-a", 2021, 1.0)]), AGENCIES)
    by_id = out.set_index("report_id")
    assert by_id.loc["2" * 16, "received_change_pct"] == pytest.approx(50.0)
    assert by_id.loc["2" * 16, ["received_rank", "received_rank_of"]].tolist() == [2, 2]  # behind 乙市教育局
    assert by_id.loc["3" * 16, "received_rank"] == 1
    assert by_id.loc["4" * 16, "agency_level"] == "township" and by_id.loc["4" * 16, "received_rank_of"] == 1
    assert pd.isna(by_id.loc["5" * 16, "agency_level"]) and pd.isna(by_id.loc["5" * 16, "received_rank"])
    assert pd.isna(by_id.loc["6" * 16, "received_rank"])  # a second report of the same agency and year
    assert out.dtypes["received_rank"] == "Int64" and out.dtypes["agency_level"] == "string"


@pytest.mark.parametrize(("name", "city", "county", "level"), [
    ("某市石门街道", "某市", None, "township"), ("某县城关镇人民政府", None, "某县", "township"),
    ("某市住房和城乡建设局", "某市", None, "city"), ("某县交通运输局", "某市", "某县", "county")])
def test_agency_level(name, city, county, level):
    assert agency_level(pd.Series({"name": name, "province": None, "city": city, "county": county})) == level


def report(*texts: str) -> Report:
    keys = ("overview", "proactive", "problems")
    return Report(sections=[Section(i + 1, f"标题{i + 1}", keys[i], t) for i, t in enumerate(texts)])


def test_sections_are_compared_with_the_same_agency_previous_year():
    problems = "一是解读形式单一；二是更新不够及时。下一步将加强培训，提高质量。"
    reports = frame_of([{"report_id": "a" * 16, "agency_id": "ag-a", "year": 2020},
                        {"report_id": "b" * 16, "agency_id": "ag-a", "year": 2021},
                        {"report_id": "c" * 16, "agency_id": "ag-b", "year": 2021}],
                       {"report_id": "string", "agency_id": "string", "year": "Int64", "error": "string"})
    rows = section_rows([("a" * 16, report("今年我们做了很多工作。", "", problems)),
                         ("b" * 16, report("本年度全面推进政务公开，成效显著。", "", problems + " ")),
                         ("c" * 16, report("另一机关。", "", problems))])
    table = sections_frame(rows, reports).set_index(["report_id", "number"])
    assert table.loc[("b" * 16, 3), "similarity_previous"] == 100.0
    assert bool(table.loc[("b" * 16, 3), "repeats_previous"]) is True
    assert table.loc[("b" * 16, 3), "previous_report_id"] == "a" * 16
    assert table.loc[("b" * 16, 1), "similarity_previous"] < REPEAT_THRESHOLD
    assert pd.isna(table.loc[("b" * 16, 2), "similarity_previous"])  # an empty (table-only) section
    assert table.loc[("c" * 16, 3)].isna()["previous_report_id"]  # another agency: no previous year
    assert table.loc[("a" * 16, 1), "characters"] == len("今年我们做了很多工作。")


def test_similarity_ignores_white_space():
    assert similarity("一是 二是", "一是二是\n") == 100.0 and similarity("", "文字") is None
    assert similarity("甲乙丙丁", "戊己庚辛") == 0.0
