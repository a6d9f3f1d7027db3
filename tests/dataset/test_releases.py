"""pipeline.dataset.releases: what changed since the previous release (CHANGES.md, release.json) and the
shrink guard; and `nianbao run` refusing to replace a dataset with a much smaller one."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import parsers
from pipeline import cli
from pipeline.dataset.export import write_frames
from pipeline.dataset.normalize import records_to_frames
from pipeline.dataset.releases import (
    ShrinkRefused,
    check_shrink,
    new_release_id,
    release_notes,
    reports_count,
)
from tests.release import current  # noqa: E402
from tests.synth import SHAPES, make_report

ROOT = Path(__file__).resolve().parents[2]
NO_OVERRIDES = "/nonexistent/overrides.csv"


def item(template: str, seed: int, url: str | None, **opts):
    raw = SHAPES["row_lines"](make_report(template, seed, **opts))
    sha = hashlib.sha256(raw).hexdigest()
    report = parsers.parse(raw, f"archive/{sha[:2]}/{sha}.txt")
    assert report.error is None
    return report, {"source": f"archive/{sha[:2]}/{sha}.txt", "sha256": sha, "size_bytes": len(raw), "url": url}


def frames_of(*items):
    return records_to_frames(list(items), overrides=NO_OVERRIDES)


@pytest.mark.parametrize(("before", "after", "allowed"), [(100, 90, False), (0, 0, False), (None, 0, False),
                                                          (10, 9, False), (100, 0, True), (100, 120, False)])
def test_a_release_may_drop_up_to_ten_percent(before, after, allowed):
    check_shrink(before, after, allowed)


@pytest.mark.parametrize(("before", "after"), [(100, 89), (10, 8), (5, 0), (1, 0)])
def test_a_release_that_drops_more_is_refused_in_one_line(before, after):
    with pytest.raises(ShrinkRefused, match=f"this run has {after} reports, {before - after} fewer than the {before}") as info:
        check_shrink(before, after, allow_shrink=False)
    assert "\n" not in str(info.value) and "--allow-shrink" in str(info.value)


def test_release_ids_are_utc_times_made_unique():
    import datetime

    when = datetime.datetime(2025, 3, 1, 8, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    assert new_release_id(when) == "20250301T000005Z"
    assert new_release_id(when, {"20250301T000005Z", "20250301T000005Z-2"}) == "20250301T000005Z-3"


def test_the_first_release_lists_its_counts_and_versions():
    new = frames_of(item("2019", 1, "http://a.gov.cn/1.html"), item("2021", 2, None))
    text, release = release_notes(None, new, release_id="20250101T000000Z")
    assert release["id"] == "20250101T000000Z" and release["previous"] is None
    assert release["changes"] == {"reports_added": 2, "reports_removed": 0, "reports_changed": 0, "cells_changed": 0}
    assert release["counts"]["tables"]["reports"] == 2 and release["counts"]["tables"]["cells"] == len(new["cells"])
    assert release["versions"]["nianbao"] and release["versions"]["parsers"]
    assert text.startswith("# Release 20250101T000000Z\n") and "First release" in text


def test_added_removed_new_versions_and_cells_read_differently_are_listed(tmp_path):
    kept, dropped = item("2019", 11, "http://a.gov.cn/kept.html"), item("2019", 12, "http://a.gov.cn/gone.html")
    v1, v2 = item("2021", 13, "http://a.gov.cn/v.pdf"), item("2021", 14, "http://a.gov.cn/v.pdf")
    local, added = item("2021", 15, None), item("2019", 16, "http://a.gov.cn/new.html")
    old = frames_of(kept, dropped, v1, local)
    write_frames(old, tmp_path / "prev", formats=("csv",))  # a previous release read from its CSV files
    new = frames_of(kept, v2, local, added)
    cells = new["cells"]
    first = cells.index[(cells["report_id"] == kept[1]["sha256"][:16]) & (cells["key"] == "t3.granted.total")][0]
    before = int(cells.loc[first, "value"])
    cells.loc[first, "value"] = before + 5  # as if a new parser read this cell differently

    text, release = release_notes(tmp_path / "prev", new, release_id="20250102T000000Z", previous_id="20250101T000000Z")
    ch = release["changes"]
    assert (ch["reports_added"], ch["reports_removed"], ch["reports_changed"]) == (1, 1, 2)
    assert [r["document"] for r in release["reports_added"]] == ["http://a.gov.cn/new.html"]
    assert [r["document"] for r in release["reports_removed"]] == ["http://a.gov.cn/gone.html"]
    how = {r["document"]: r["how"] for r in release["reports_changed"]}
    assert how == {"http://a.gov.cn/v.pdf": "new version", "http://a.gov.cn/kept.html": "read differently"}
    mine = [c for c in release["cells_changed"] if c["report_id"] == kept[1]["sha256"][:16]]
    assert mine == [{"report_id": kept[1]["sha256"][:16], "agency": kept[0].agency, "year": kept[0].year,
                     "document": "http://a.gov.cn/kept.html", "key": "t3.granted.total", "before": before,
                     "after": before + 5, "kind_before": "number", "kind_after": "number"}]
    assert ch["cells_changed"] == len(release["cells_changed"]) > 1  # v1 -> v2 differ in many cells
    assert "Compared with release 20250101T000000Z" in text
    assert "## Reports removed (1)" in text and "http://a.gov.cn/gone.html" in text
    assert re.search(rf"\| {kept[1]['sha256'][:16]} \| .* \| t3.granted.total \| {before} \| {before + 5} \|", text)
    again, same = release_notes(tmp_path / "prev", old)
    assert same["changes"] == {"reports_added": 0, "reports_removed": 0, "reports_changed": 0, "cells_changed": 0}


def test_reports_count_reads_parquet_or_csv(tmp_path):
    frames = frames_of(item("2019", 21, None), item("2021", 22, None))
    assert reports_count(tmp_path) is None and reports_count(None) is None
    write_frames(frames, tmp_path / "csv", formats=("csv",))
    write_frames(frames, tmp_path / "pq", formats=("parquet",))
    assert reports_count(tmp_path / "csv") == reports_count(tmp_path / "pq") == 2


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_empty_raw_folder_leaves_the_published_dataset_and_exits_1(tmp_path):
    runner, clean, empty = CliRunner(), tmp_path / "clean", tmp_path / "empty"
    empty.mkdir()
    first = runner.invoke(cli.main, ["run", "--raw", str(ROOT / "data" / "raw"), "--clean", str(clean), "-q"])
    assert first.exit_code == 0, first.output
    published = snapshot(current(clean))
    first_id = json.loads(published["release.json"])["id"]
    refused = runner.invoke(cli.main, ["run", "--raw", str(empty), "--clean", str(clean)])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == ("nianbao: error: not published: this run has 0 reports, 9 fewer than the 9 of the "
                              "current release (over 10%); the current release stays (--allow-shrink publishes "
                              "it anyway)\n")
    assert snapshot(current(clean)) == published and current(clean).resolve().name == first_id
    again = runner.invoke(cli.main, ["run", "--raw", str(ROOT / "data" / "raw"), "--clean", str(clean), "-q"])
    assert again.exit_code == 0 and current(clean).resolve().name == first_id  # nothing changed: it stays
    forced = runner.invoke(cli.main, ["run", "--raw", str(empty), "--clean", str(clean), "--allow-shrink", "-q"])
    assert forced.exit_code == 0 and reports_count(current(clean)) == 0
    notes = (current(clean) / "CHANGES.md").read_text(encoding="utf-8")
    assert f"Compared with release {first_id}" in notes and "| reports added | 0 |" in notes
    assert "## Reports removed (9)" in notes


def test_the_licence_is_settable_from_the_command_line(tmp_path):
    result = CliRunner().invoke(cli.main, ["run", "--raw", str(ROOT / "data" / "raw"), "--clean", str(tmp_path),
                                           "--format", "csv", "--licence", "https://example.org/terms", "-q"])
    assert result.exit_code == 0
    package = json.loads((current(tmp_path) / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"] == [{"path": "https://example.org/terms", "title": "https://example.org/terms"}]
