"""`nianbao compare` on a three-year fixture: one made-up agency spelled three ways, plus a neighbour."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import load, run_pipeline
from pipeline.cli.dataset import compare_command
from pipeline.dataset import compare
from pipeline.dataset.compare import CompareError, compare_table, terminal_table
from tests.make_samples import series
from tests.synth import SHAPES, make_report


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    """(clean folder, the series' reports): 2020–2022 of 云泽市石门街道, 2022 not carrying over, and
    云泽市生态环境局 2021 in the same city."""
    raw = tmp_path_factory.mktemp("raw")
    made = series(carry=(True, False))
    for report, shape, name in made:
        (raw / f"{name}.txt").write_bytes(SHAPES[shape](report))
    neighbour = make_report("2021", 77, year=2021)
    neighbour["agency"] = neighbour["expected"]["agency"] = "云泽市生态环境局"
    neighbour["title"] = "云泽市生态环境局2021年政府信息公开工作年度报告"
    (raw / "neighbour.txt").write_bytes(SHAPES["row_lines"](neighbour))
    clean = raw.parent / (raw.name + "-clean")
    assert run_pipeline(raw, clean).parsed == 4
    return clean, [r for r, _, _ in made], neighbour


def test_one_agency_year_by_year_with_changes_ranks_and_failed_checks(three_years):
    clean, made, neighbour = three_years
    table = compare_table(load(clean), agency="云泽市石门街道办")
    assert table["year"].tolist() == [2020, 2021, 2022] and table["agency_id"].nunique() == 1
    received = [r["expected"]["t3"]["new_received"]["total"] for r in made]
    assert table["received"].tolist() == received
    assert pd.isna(table.loc[0, "received_change"])
    assert table["received_change"].tolist()[1:] == [received[1] - received[0], received[2] - received[1]]
    other = [sum(r["expected"]["t3"][k]["total"] for k in r["expected"]["t3"] if k.startswith("other")) for r in made]
    assert table["other"].tolist() == other  # 2019 single （六） and 2021 three rows, one column
    rival = neighbour["expected"]["t3"]["new_received"]["total"]
    assert table.loc[1, "received_rank"] == (1 if received[1] >= rival else 2)
    assert table.loc[1, "agencies_that_year"] == 2
    assert pd.isna(table.loc[1, "checks_failed"]) and table.loc[2, "checks_failed"] == "carry_over"
    assert table["reviews"].tolist() == [r["expected"]["t4"]["review.total"] for r in made]


def test_a_region_gives_every_agency_in_it(three_years):
    frames = load(three_years[0])
    table = compare_table(frames, region="云泽市")
    order = table[["agency_id", "year"]]
    assert order.equals(order.sort_values(["agency_id", "year"]).reset_index(drop=True))
    assert set(table["agency"]) == {"云泽市石门街道", "云泽市生态环境局"} and len(table) == 4
    with pytest.raises(CompareError, match="no agency in region '白鹭市'"):
        compare_table(frames, region="白鹭市")


def test_an_ambiguous_or_unknown_agency_is_a_one_line_error(three_years):
    frames = load(three_years[0])
    with pytest.raises(CompareError, match="2 agencies match '云泽市'"):
        compare_table(frames, agency="云泽市")
    with pytest.raises(CompareError, match="no agency matches '白鹭市教育局'"):
        compare_table(frames, agency="白鹭市教育局")
    agency_id = frames["agencies"]["agency_id"].iloc[0]
    assert compare_table(frames, agency=agency_id)["agency_id"].unique().tolist() == [agency_id]


def test_the_terminal_table_aligns_chinese_names():
    table = pd.DataFrame({"agency": ["云泽市石门街道", "乙"], "year": [2021, 2022], "received": [3.0, None]})
    lines = terminal_table(table, ("agency", "year", "received")).splitlines()
    assert lines[1] == "云泽市石门街道  2021         3" and lines[2] == "乙              2022         –"


def test_the_command_prints_the_table_and_writes_csv_and_charts(three_years, tmp_path, caplog):
    clean = three_years[0]
    args = ["--clean", str(clean), "--agency", "石门街道", "--csv", str(tmp_path / "c.csv"), "--png", str(tmp_path / "png")]
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(compare_command, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:3] == ["agency", "year", "received"]
    assert len(result.stdout.splitlines()) == 4
    written = pd.read_csv(tmp_path / "c.csv")
    assert written["year"].tolist() == [2020, 2021, 2022] and "denied.state_secret" in written.columns
    pngs = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert pngs == ["compare_cases.png", "compare_outcomes.png", "compare_received.png"]
    assert all((tmp_path / "png" / p).read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_without_a_cjk_font_the_charts_fall_back_with_a_warning(three_years, tmp_path, monkeypatch, caplog):
    from matplotlib import font_manager

    monkeypatch.setattr(compare, "CJK_FAMILIES", ())
    monkeypatch.setattr(compare, "_fc_list_zh", lambda: [])
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with caplog.at_level(logging.WARNING, logger="pipeline.dataset.compare"):
        assert compare.cjk_font() is None
    assert "fonts-noto-cjk" in caplog.text
    figures = compare.charts(compare_table(load(three_years[0])), font=None)
    legend = [t.get_text() for t in figures["received"].axes[0].get_legend().get_texts()]
    assert legend and all(t.startswith("ag-") for t in legend)


def test_the_command_without_a_dataset_exits_1(tmp_path):
    result = CliRunner().invoke(compare_command, ["--clean", str(tmp_path / "none")])
    assert result.exit_code == 1 and result.stderr.startswith("nianbao: error: ")
