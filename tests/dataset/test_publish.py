"""`nianbao publish`: the SQLite database, its Datasette metadata and the Excel workbook, on the bundled samples."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import load, run_pipeline
from pipeline.cli.publish import publish_command
from pipeline.dataset import publish as pub
from pipeline.dataset.publish import PublishError, publish, publish_dir
from tests.release import current

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(clean folder, frames) after `nianbao run` on the samples and `nianbao publish`."""
    clean = tmp_path_factory.mktemp("clean")
    assert run_pipeline(ROOT / "data" / "raw", clean).failed == 0
    result = CliRunner().invoke(publish_command, ["--clean", str(clean), "--raw", str(clean / "no-raw")])
    assert result.exit_code == 0, result.output
    assert {Path(line.split()[-1]).name for line in result.stderr.splitlines()} == {
        "nianbao.db", "nianbao.metadata.json", "nianbao.xlsx"}
    return current(clean), load(clean)  # published beside the tables of the current release


def connect(clean: Path) -> sqlite3.Connection:
    return sqlite3.connect(clean / "nianbao.db")


def test_every_table_is_in_the_database_with_its_rows(published):
    clean, frames = published
    with connect(clean) as db:
        for name, frame in frames.items():
            assert db.execute(f"select count(*) from [{name}]").fetchone()[0] == len(frame), name
        columns = {r[1] for r in db.execute("pragma table_info(reports)")}
    assert {"province", "city", "agency_level", "sections", "source_url"} <= columns


def test_keys_indexes_and_integer_counts(published):
    clean, _frames = published
    with connect(clean) as db:
        pk = [r[1] for r in db.execute("pragma table_info(reports)") if r[5]]
        fks = {(r[3], r[2]) for r in db.execute("pragma foreign_key_list(sections)")}
        indexed = {r[1] for r in db.execute("pragma index_list(comparable)")}
        kinds = db.execute("select distinct typeof(t3_granted_total) from t3").fetchall()
        rate = db.execute("select typeof(rate_granted) from comparable where rate_granted is not null").fetchone()
        orphans = db.execute("pragma foreign_key_check").fetchall()
    assert pk == ["report_id"] and ("report_id", "reports") in fks and ("agency_id", "agencies") in fks
    assert any("agency_id" in name for name in indexed) and kinds == [("integer",)] and rate == ("real",)
    assert orphans == []


def test_full_text_search_finds_chinese_in_agency_names_and_section_texts(published):
    clean, frames = published
    with connect(clean) as db:
        fee = db.execute("select count(distinct s.report_id) from sections s join sections_fts f "
                         "on f.rowid = s.rowid where sections_fts match '信息处理费'").fetchone()[0]
        names = [r[0] for r in db.execute("select a.name from agencies a join agencies_fts f on f.rowid = a.rowid "
                                          "where agencies_fts match '石门街道'")]
    texts = frames["sections"]["text"].fillna("")
    expected = set(frames["sections"].loc[texts.str.contains("信息处理费", regex=False), "report_id"])
    assert fee == len(expected) > 0 and names == ["云泽市石门街道"]


def test_the_sections_and_rates_are_published(published):
    clean, _frames = published
    with connect(clean) as db:
        repeated = db.execute("select year, title, similarity_previous from sections where repeats_previous = 1 "
                              "and section_key = 'problems'").fetchall()
        rates = db.execute("select count(*) from comparable where rate_granted between 0 and 1").fetchone()[0]
    assert repeated == [(2021, "存在的主要问题及改进情况", 100.0)]  # 2022 rewrote it (tests/make_samples.py)
    assert rates > 0


def test_datasette_metadata_has_titles_labels_units_facets_and_licence(published):
    clean, frames = published
    meta = json.loads((clean / "nianbao.metadata.json").read_text(encoding="utf-8"))
    assert meta["license"] and meta["license_url"].startswith("https://") and meta["source"]
    tables = meta["databases"]["nianbao"]["tables"]
    assert set(tables) == set(frames)
    assert tables["reports"]["facets"] == ["province", "city", "year", "template"]
    assert tables["reports"]["title"].startswith("报告")
    assert tables["comparable"]["columns"]["rate_corrected"].startswith("纠错率")
    assert "（单位：%）" in tables["sections"]["columns"]["similarity_previous"]
    assert "repeated_sections" in meta["databases"]["nianbao"]["queries"]


def test_the_workbook_has_four_sheets_chinese_headers_frozen_filtered_and_formatted(published):
    from openpyxl import load_workbook

    clean, frames = published
    book = load_workbook(clean / "nianbao.xlsx")
    assert book.sheetnames == ["reports", "comparable", "agencies", "codebook"]
    sheet = book["comparable"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["报告编号", "机关（原文）", "年度"] and len(set(headers)) == len(headers)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    granted = headers.index("表三 （一）予以公开 — 总计") + 1
    cell = sheet.cell(row=2, column=granted)
    assert isinstance(cell.value, int) and cell.number_format == "#,##0"
    rate = sheet.cell(row=2, column=headers.index("予以公开比例") + 1)
    assert rate.number_format == "0.0%" and 0 <= rate.value <= 1
    assert sheet.max_row == len(frames["comparable"]) + 1
    codebook = [[c.value for c in row] for row in book["codebook"].iter_rows(min_row=2)]
    assert ["comparable", "rate_corrected", "纠错率"] in [row[:3] for row in codebook]


def test_publish_dir_follows_the_current_release(tmp_path):
    (tmp_path / "releases" / "20260101T000000Z").mkdir(parents=True)
    assert publish_dir(tmp_path) == tmp_path
    (tmp_path / "CURRENT").write_text("20260101T000000Z\n")
    assert publish_dir(tmp_path) == tmp_path / "releases" / "20260101T000000Z"
    os.symlink("releases/20260101T000000Z", tmp_path / "current")
    assert publish_dir(tmp_path) == (tmp_path / "releases" / "20260101T000000Z").resolve()


def test_document_urls_become_source_links(published, tmp_path):
    _clean, frames = published
    sha = frames["reports"]["sha256"].iloc[0]
    publish(frames, tmp_path, {sha: "https://www.example.gov.cn/zwgk/nb.html"})
    with connect(tmp_path) as db:
        urls = db.execute("select source_url from reports where source_url is not null").fetchall()
    assert urls == [("https://www.example.gov.cn/zwgk/nb.html",)]


def test_a_failed_publish_leaves_the_previous_files_and_no_temporary_file(published, tmp_path, monkeypatch):
    _clean, frames = published
    publish(frames, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(_frames):
        raise ValueError("disk full")

    monkeypatch.setattr(pub, "workbook", broken)
    with pytest.raises(PublishError, match="cannot publish: .*disk full"):
        publish(frames, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_text_that_looks_like_a_formula_stays_text(published, tmp_path):
    from openpyxl import load_workbook

    _clean, frames = published
    frames = dict(frames)
    frames["agencies"] = frames["agencies"].copy()
    frames["agencies"].loc[0, "spellings"] = "=HYPERLINK(\"http://x\")"
    publish(frames, tmp_path)
    cell = load_workbook(tmp_path / "nianbao.xlsx")["agencies"].cell(row=2, column=3)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
