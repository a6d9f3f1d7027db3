"""Twins through a whole run: one report kept per agency-year in the per-report tables, the other
rendering in `reports` pointing at it, and a disagreement as a failed `twin` crosscheck and a null cell."""

from __future__ import annotations

from parsers import parse
from pipeline import load, run_pipeline
from tests.synth import make_report, render_html, render_markdown


def test_a_page_and_its_markdown_copy_are_one_report_and_their_disagreement_is_flagged(tmp_path):
    truth = make_report("2021", 11, year=2023)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "page.html").write_bytes(render_html(truth))
    md = render_markdown(truth).decode("utf-8").splitlines(keepends=True)
    granted = next(c.value for c in parse(render_html(truth), "page.html").cells if c.key == "granted.total")
    row = next(i for i, line in enumerate(md) if "予以公开" in line and f"| {granted} |" in line)
    head, _, tail = md[row].rpartition(f"| {granted} |")
    md[row] = f"{head}| {granted + 100} |{tail}"  # the copy misprints one cell: its 予以公开 total
    (raw / "copy.md").write_text("".join(md), encoding="utf-8")
    summary = run_pipeline(raw, tmp_path / "clean")
    assert summary.parsed == 2 and summary.failed == 0
    frames = load(tmp_path / "clean")
    reports = frames["reports"]
    kept = reports[reports["twin_of"].isna()]
    twin = reports[reports["twin_of"].notna()]
    assert len(kept) == len(twin) == 1 and twin["twin_of"].iloc[0] == kept["report_id"].iloc[0]
    assert frames["t3"]["report_id"].tolist() == kept["report_id"].tolist()  # one row per agency-year
    checks = frames["crosschecks"]
    [row] = checks[checks["check_name"] == "twin"].to_dict("records")
    assert row["ok"] is False and row["report_id"] == kept["report_id"].iloc[0]
    cells = frames["cells"]
    conflict = cells[(cells["report_id"] == row["report_id"]) & (cells["kind"] == "twin_conflict")]
    assert len(conflict) == 1 and conflict["value"].isna().all()
