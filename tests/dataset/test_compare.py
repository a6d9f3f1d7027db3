"""`nianbao compare` on a three-year fixture: one made-up agency spelled three ways, plus a neighbour."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import load, run_pipeline
from pipeline.cli.dataset import compare_command
from pipeline.dataset import charts
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
    assert table["received_change_pct"].tolist()[1] == pytest.approx((received[1] - received[0]) / received[0] * 100)
    # ranked among agencies of the same level only: the neighbour is a city department, 石门街道 a township
    assert table["agency_level"].tolist() == ["township"] * 3
    assert table.loc[1, "received_rank"] == 1 and table.loc[1, "received_rank_of"] == 1
    assert table.loc[1, "rank"] == "1 of 1 乡镇级"
    t3, t4 = made[1]["expected"]["t3"], made[1]["expected"]["t4"]
    assert table.loc[1, "rate_granted"] == pytest.approx(t3["granted"]["total"] / t3["results_total"]["total"])
    unable = sum(t3[k]["total"] for k in t3 if k.startswith("unable."))
    assert table.loc[1, "rate_unable"] == pytest.approx(unable / t3["results_total"]["total"])
    corrected = sum(t4[f"{g}.corrected"] for g in ("review", "suit_direct", "suit_after_review"))
    decided = sum(t4[f"{g}.total"] - t4[f"{g}.pending"] for g in ("review", "suit_direct", "suit_after_review"))
    assert table.loc[1, "rate_corrected"] == pytest.approx(corrected / decided)
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
    csv = tmp_path / "new" / "folder" / "c.csv"  # the folder does not exist yet
    args = ["--clean", str(clean), "--agency", "石门街道", "--csv", str(csv), "--png", str(tmp_path / "png")]
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(compare_command, args)
    assert result.exit_code == 0, result.output
    assert caplog.records == [] and "font" not in result.stderr.lower() and "glyph" not in result.stderr.lower()
    assert result.stdout.splitlines()[0].split()[:6] == ["agency", "year", "received", "received_change",
                                                         "received_change_pct", "rank"]
    assert len(result.stdout.splitlines()) == 4 and "1 of 1 乡镇级" in result.stdout and "%" in result.stdout
    written = pd.read_csv(csv)
    assert written["year"].tolist() == [2020, 2021, 2022] and "denied.state_secret" in written.columns
    assert {"rate_granted", "rate_corrected", "received_change_pct", "repeated_sections"} <= set(written.columns)
    pngs = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert pngs == ["compare_cases.png", "compare_outcomes.png", "compare_received.png"]
    assert all((tmp_path / "png" / p).read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_without_a_cjk_font_the_charts_fall_back_with_a_warning(three_years, monkeypatch, caplog):
    from matplotlib import font_manager

    with monkeypatch.context() as m, caplog.at_level(logging.WARNING, logger="pipeline.dataset.charts"):
        m.setattr(charts, "bundled_font_path", lambda: None)
        m.setattr(charts, "CJK_FAMILIES", ())
        m.setattr(charts, "_fc_list_zh", lambda: [])
        m.setattr(font_manager.fontManager, "ttflist", [])
        assert charts.chart_font() is None
    assert "uv sync" in caplog.text
    figures = charts.charts(compare_table(load(three_years[0])), font=None)
    legend = [t.get_text() for t in figures["received"].axes[0].get_legend().get_texts()]
    assert legend and all(t.startswith("ag-") for t in legend[:-1])


def test_the_bundled_font_covers_every_label_drawn(three_years):
    font = charts.chart_font()
    assert font is not None and font.path == charts.bundled_font_path() and font.name == "Noto Sans SC"
    table = compare_table(load(three_years[0]))
    for name, fig in charts.charts(table, font).items():
        texts = charts.drawn_texts(fig)
        assert any("年度" in t for t in texts) and any("来源" in t for t in texts), name
        assert charts.missing_glyphs(texts, font.path) == set(), name
    legend = [t.get_text() for t in charts.charts(table, font)["received"].axes[0].get_legend().get_texts()]
    assert {"云泽市石门街道", "云泽市生态环境局"} <= set(legend) and charts.FAILED_LABEL in legend


def test_charts_start_at_zero_with_integer_ticks_and_mark_failed_checks(three_years):
    table = compare_table(load(three_years[0]), agency="石门街道")
    figures = charts.charts(table, charts.chart_font())
    for name, fig in figures.items():
        ax = fig.axes[0]
        fig.draw_without_rendering()
        assert ax.get_ylim()[0] == 0, name
        assert all(float(t).is_integer() for t in ax.get_yticks()), name
    assert 2022 in charts._failed_years(table)  # the carry-over check fails in 2022
    rings = [c for c in figures["received"].axes[0].collections if c.get_offsets().shape[0]]
    assert [int(x) for x, _y in rings[0].get_offsets()] == [2022]


def test_the_command_without_a_dataset_exits_1(tmp_path):
    result = CliRunner().invoke(compare_command, ["--clean", str(tmp_path / "none")])
    assert result.exit_code == 1 and result.stderr.startswith("nianbao: error: ")
