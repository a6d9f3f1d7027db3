"""pipeline: normalize (shapes, columns, dtypes), export (atomic), orchestrate (bad documents, determinism)."""

from __future__ import annotations

import datetime
import errno
import hashlib
import json
import random
from pathlib import Path

import pandas as pd
import pytest

import parsers
from parsers.model import BLANK, DASH, DERIVED, MISSING, NUMBER, Cell, Report
from parsers.templates import T3_COLUMNS, T3_ROWS, T4_COLUMNS
from pipeline.dataset import export
from pipeline.dataset.export import ExportError, read_frames, write_frames
from pipeline.dataset.normalize import SCHEMAS, make_report_id, records_to_frames
from pipeline.engine.orchestrate import (
    RawDirMissing,
    iter_documents,
    parse_file,
    run_pipeline,
    too_large,
)
from tests.conftest import sample_html
from tests.release import current

RULES = ("t3.balance: a = b", "t3.results: a = b", "t3.applicants: a = b", "t4.groups: a = b")


def checks(failed: tuple[str, ...] = (), unknown: tuple[str, ...] = ()) -> list[dict]:
    out = []
    for rule in RULES:
        name = rule.split(":")[0]
        ok = None if name in unknown else name not in failed
        out.append({"rule": rule, "ok": ok, "detail": "x" if ok is False else ""})
    return out


def provenance(report: Report, content: bytes) -> dict:
    return {"source": report.source, "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content)}


def report_2019() -> tuple[Report, dict]:
    cells = [
        Cell("t2", "rules", "made", 2, "2", NUMBER),
        Cell("t2", "procurement", "amount", 109858.0, "10.9858万元", NUMBER),
        Cell("t3", "granted", "natural_person", 3, "3", NUMBER),
        Cell("t3", "granted", "total", 3, "", DERIVED),
        Cell("t3", "other", "total", None, None, MISSING),
        Cell("t4", "", "review.upheld", 1, "1", NUMBER),
        Cell("t4", "", "review.total", 0, "—", DASH),
    ]
    report = Report(source="b/2019.html", format="html", template="2019", year=2019, agency="示例县",
                    published="2020-01-20", index_no="123-456", cells=cells,
                    extra_rows=[{"label": "附加行", "cells": ["1"]}], checks=checks(failed=("t4.groups",)),
                    warnings=["t3: blank total derived", "t2: rows not found"])
    return report, provenance(report, b"2019 report")


def report_2021() -> tuple[Report, dict]:
    cells = [
        Cell("t2", "rules", "issued", 4, "4", NUMBER),
        Cell("t2", "fees", "amount", 20000.0, "2", NUMBER),
        Cell("t3", "other.no_correction", "total", 1, "1", NUMBER),
        Cell("t4", "", "suit_direct.pending", 0, "", BLANK),
    ]
    report = Report(source="a/2021.txt", format="text", template="2021", year=2022, agency="示例局",
                    cells=cells, checks=checks(unknown=("t4.groups",)))
    return report, provenance(report, b"2021 report")


def report_failed() -> tuple[Report, dict]:
    report = Report(source="junk.bin", error="junk.bin: binary data, not a text report")
    return report, provenance(report, b"\x00\x01junk")


def items() -> list[tuple[Report, dict]]:
    return [report_2019(), report_2021(), report_failed()]


def frames() -> dict[str, pd.DataFrame]:
    return records_to_frames(items())


def rid(item: tuple[Report, dict]) -> str:
    return item[1]["sha256"][:16]


# ---------------------------------------------------------------- normalize


def test_every_table_has_its_schema_columns_and_dtypes():
    out = frames()
    assert list(out) == ["reports", "cells", "t2", "t3", "t4", "comparable", "agencies", "crosschecks", "sections"]
    for name, frame in out.items():
        assert list(frame.columns) == list(SCHEMAS[name]), name
        assert {c: str(t) for c, t in frame.dtypes.items()} == {c: str(pd.Series(dtype=t).dtype)
                                                               for c, t in SCHEMAS[name].items()}, name
    assert out["cells"]["value"].dtype == "Int64" and out["cells"]["amount"].dtype == "Float64"
    assert out["t3"]["year"].dtype == "Int64" and out["t3"]["t3_granted_total"].dtype == "Int64"
    assert out["t2"]["t2_procurement_amount"].dtype == "Float64" and str(out["reports"]["published"].dtype) == "date32[day][pyarrow]"
    assert isinstance(out["reports"]["source"].dtype, pd.StringDtype)


def test_empty_input_gives_empty_tables_with_the_same_columns():
    for name, frame in records_to_frames([]).items():
        assert frame.empty and list(frame.columns) == list(SCHEMAS[name])
        assert dict(frame.dtypes) == dict(records_to_frames(items())[name].dtypes)


def test_wide_columns_are_the_union_of_both_templates_in_canonical_order():
    out = frames()
    t2 = [c for c in out["t2"].columns if c.startswith("t2_")]
    assert t2[:6] == ["t2_rules_made", "t2_rules_published", "t2_rules_published_total",
                      "t2_rules_issued", "t2_rules_repealed", "t2_rules_in_force"]
    assert {"t2_procurement_amount", "t2_fees_amount", "t2_fees_change", "t2_licensing_decisions"} <= set(t2)
    assert len(t2) == len(set(t2)) == 22 + 7  # 2019's 22 cells + 2021's rules/normative_docs/fees.amount
    t3 = [c for c in out["t3"].columns if c.startswith("t3_")]
    assert t3 == [f"t3_{r.key}_{c}".replace(".", "_") for r in T3_ROWS for c in T3_COLUMNS]
    assert "t3_other_total" in t3 and "t3_other_no_correction_total" in t3
    assert list(out["t4"].columns[4:]) == [f"t4_{c}".replace(".", "_") for c in T4_COLUMNS]
    assert list(out["t2"].columns[:4]) == ["report_id", "agency", "year", "template"]


def test_wide_rows_hold_values_and_na_where_the_template_has_no_cell():
    out = frames()
    t2 = out["t2"].set_index("report_id")
    r19, r21 = rid(report_2019()), rid(report_2021())
    assert t2.loc[r19, "t2_rules_made"] == 2.0 and t2.loc[r19, "t2_procurement_amount"] == 109858.0
    assert pd.isna(t2.loc[r19, "t2_rules_issued"]) and pd.isna(t2.loc[r21, "t2_rules_made"])
    assert t2.loc[r21, "t2_fees_amount"] == 20000.0
    t3 = out["t3"].set_index("report_id")
    assert t3.loc[r19, "t3_granted_total"] == 3.0 and pd.isna(t3.loc[r19, "t3_other_total"])
    assert t3.loc[r21, "t3_other_no_correction_total"] == 1.0
    t4 = out["t4"].set_index("report_id")
    assert t4.loc[r19, "t4_review_upheld"] == 1.0 and t4.loc[r21, "t4_suit_direct_pending"] == 0.0
    assert t4.loc[r21, "year"] == 2022 and t4.loc[r21, "template"] == "2021"


def test_a_failed_document_is_in_reports_only():
    out = frames()
    bad = rid(report_failed())
    for name in ("cells", "t2", "t3", "t4"):
        assert bad not in set(out[name]["report_id"]), name
    row = out["reports"].set_index("report_id").loc[bad]
    assert row["error"] == "junk.bin: binary data, not a text report"
    assert row["checks_passed"] == 0 and row["checks_failed"] == 0 and row["warnings_count"] == 0
    assert pd.isna(row["extra_rows"]) and pd.isna(row["template"]) and pd.isna(row["year"])
    assert len(out["t2"]) == len(out["t3"]) == len(out["t4"]) == 2 and len(out["reports"]) == 3


def test_reports_row_summarises_checks_warnings_and_provenance():
    row = frames()["reports"].set_index("report_id").loc[rid(report_2019())]
    assert row["sha256"] == hashlib.sha256(b"2019 report").hexdigest() and row["size_bytes"] == 11
    assert (row["checks_passed"], row["checks_failed"], row["failed_checks"]) == (3, 1, "t4.groups")
    assert row["warnings_count"] == 2 and row["warnings"] == "t3: blank total derived | t2: rows not found"
    assert json.loads(row["extra_rows"]) == [{"label": "附加行", "cells": ["1"]}]
    assert (row["source"], row["format"], row["published"], row["index_no"]) == (
        "b/2019.html", "html", datetime.date(2020, 1, 20), "123-456")
    r21 = frames()["reports"].set_index("report_id").loc[rid(report_2021())]
    assert r21["checks_passed"] == 3 and r21["checks_failed"] == 0 and pd.isna(r21["failed_checks"])


def test_cells_long_table_keeps_keys_values_printed_text_and_kind():
    cells = frames()["cells"]
    assert len(cells) == 7 + 4
    mine = cells[cells["report_id"] == rid(report_2019())]
    assert list(mine["key"]) == ["t2.rules.made", "t2.procurement.amount", "t3.granted.natural_person",
                                 "t3.granted.total", "t3.other.total", "t4.review.upheld", "t4.review.total"]
    by_key = mine.set_index("key")
    assert by_key.loc["t2.procurement.amount", "raw"] == "10.9858万元"
    assert by_key.loc["t3.granted.total", "kind"] == DERIVED and pd.isna(by_key.loc["t3.granted.total", "raw"])
    assert pd.isna(by_key.loc["t3.other.total", "value"]) and by_key.loc["t3.other.total", "kind"] == MISSING
    assert pd.isna(by_key.loc["t4.review.upheld", "row_key"])
    assert by_key.loc["t4.review.upheld", "column_key"] == "review.upheld"
    assert (by_key.loc["t2.rules.made", "row_key"], by_key.loc["t2.rules.made", "column_key"]) == ("rules", "made")
    assert set(mine["year"]) == {2019} and set(mine["template"]) == {"2019"}
    assert not {"source", "agency", "sha256"} & set(cells.columns)  # report-level text lives in reports only


def test_rows_are_sorted_by_agency_year_and_report_id_whatever_the_input_order():
    shuffled = items()
    random.Random(7).shuffle(shuffled)
    a, b = records_to_frames(items()), records_to_frames(list(reversed(shuffled)))
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    for name in ("reports", "t2", "t3", "t4", "comparable"):
        rows = list(a[name][["agency", "year", "report_id"]].itertuples(index=False, name=None))
        key = [(pd.isna(g), "" if pd.isna(g) else g, pd.isna(y), 0 if pd.isna(y) else y, r) for g, y, r in rows]
        assert key == sorted(key), name
    order = {rid: i for i, rid in enumerate(a["reports"]["report_id"])}  # cells: in the order of reports
    positions = [order[r] for r in a["cells"]["report_id"]]
    assert positions == sorted(positions)
    assert pd.isna(a["reports"]["agency"].iloc[-1])  # the failed document, with no agency, comes last


def test_report_id_is_the_sha256_prefix_or_derived_from_the_source_when_unread():
    assert make_report_id("ab" * 32) == "ab" * 8
    assert make_report_id(None, "x.pdf") == make_report_id(None, "x.pdf") != make_report_id(None, "y.pdf")
    assert len(make_report_id(None, "x.pdf")) == 16


# ---------------------------------------------------------------- export


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_csv_and_parquet_hold_the_same_content(tmp_path):
    out = frames()
    write_frames(out, tmp_path)
    from_csv, from_parquet = read_frames(tmp_path, "csv"), read_frames(tmp_path, "parquet")
    assert list(from_csv) == list(from_parquet) == list(out)
    for name in out:
        pd.testing.assert_frame_equal(from_csv[name], from_parquet[name])
        pd.testing.assert_frame_equal(from_parquet[name], out[name])
    text = (tmp_path / "cells.csv").read_text(encoding="utf-8")
    assert text.startswith("report_id,year,template,table_key,") and "10.9858万元" in text


def test_write_frames_writes_only_the_formats_asked_and_run_json(tmp_path):
    written = write_frames(frames(), tmp_path, formats=("csv",), summary={"documents": 3, "名": "示例"})
    assert sorted(p.name for p in written) == sorted([f"{n}.csv" for n in SCHEMAS]
                                                     + ["codebook.csv", "datapackage.json", "run.json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8")) == {"documents": 3, "名": "示例"}
    with pytest.raises(ExportError, match="unknown format 'xlsx'"):
        write_frames(frames(), tmp_path, formats=("xlsx",))


def _failing_after(calls: int, exc: BaseException):
    """A DataFrame.to_parquet that writes half a file on call number `calls`, then raises."""
    real = pd.DataFrame.to_parquet
    count = {"n": 0}

    def to_parquet(self, path, *args, **kwargs):
        count["n"] += 1
        if count["n"] >= calls:
            path.write(b"PAR1 half a file")
            raise exc
        return real(self, path, *args, **kwargs)

    return to_parquet


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("boom"),
                                 KeyboardInterrupt()], ids=["disk-full", "library-error", "interrupt"])
def test_a_failure_mid_export_leaves_the_previous_dataset_whole(tmp_path, monkeypatch, exc):
    write_frames(records_to_frames([report_2019()]), tmp_path, summary={"run": 1})
    before = snapshot(tmp_path)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _failing_after(3, exc))
    expected = ExportError if isinstance(exc, Exception) else KeyboardInterrupt
    with pytest.raises(expected) as info:
        write_frames(frames(), tmp_path, summary={"run": 2})
    if expected is ExportError:
        assert "\n" not in str(info.value) and ".parquet: cannot write" in str(info.value)
    assert snapshot(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def test_a_failed_rename_leaves_no_temporary_files(tmp_path, monkeypatch):
    real = export.os.replace
    calls = {"n": 0}

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.EACCES, "Permission denied")
        real(src, dst)

    monkeypatch.setattr(export.os, "replace", replace)
    with pytest.raises(ExportError, match="cannot rename into place: Permission denied"):
        write_frames(frames(), tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_export_into_a_path_that_is_a_file_is_an_export_error(tmp_path):
    blocker = tmp_path / "clean"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="cannot create the directory"):
        write_frames(frames(), blocker)


# ---------------------------------------------------------------- orchestrate


def test_iter_documents_lists_regular_files_sorted_and_skips_the_rest(tmp_path):
    for name in ("b.html", "a/z.txt", "a/b/c.pdf", ".hidden", ".git/config", "README.md", "sub/readme.txt",
                 "meta.json", "part.tmp", ".gitkeep", "a/.gitkeep", "Z.HTML"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "emptydir").mkdir()
    found = [p.relative_to(tmp_path).as_posix() for p in iter_documents(tmp_path)]
    assert found == ["Z.HTML", "a/b/c.pdf", "a/z.txt", "b.html"]


def test_parse_file_gives_provenance_relative_to_the_raw_folder(tmp_path):
    doc = tmp_path / "gov" / "r.html"
    doc.parent.mkdir()
    doc.write_bytes(sample_html())
    report, prov = parse_file(doc, root=tmp_path)
    sha = hashlib.sha256(sample_html()).hexdigest()
    assert prov == {"source": "gov/r.html", "sha256": sha, "size_bytes": len(sample_html()), "report_id": sha[:16]}
    assert report.error is None and report.source == "gov/r.html" and report.template == "2019"


def test_the_size_limit_message():
    assert too_large(int(52.4 * 1024 * 1024), 32 * 1024 * 1024) == "file is 52.4 MB, over the 32 MB limit"
    assert too_large(2048, 1024) == "file is 2.0 KB, over the 1 KB limit"
    assert too_large(600, 500) == "file is 600 bytes, over the 500 bytes limit"


def test_a_file_over_the_limit_is_refused_without_being_read_whole(tmp_path, monkeypatch):
    big = tmp_path / "big.html"
    big.write_bytes(b"<html>" + b"x" * 300_000)
    reads: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            reads.append(n)
            return self.fh.read(n)

    from pipeline.engine import document

    monkeypatch.setattr(document, "open", lambda *a, **k: Spy(real_open(*a, **k)), raising=False)
    monkeypatch.setattr(parsers, "parse", lambda *a, **k: pytest.fail("parse called"))
    report, prov = document.run_task(document.Task(0, "big.html", path=str(big), max_bytes=100_000))  # in this process
    assert report.error == "big.html: file is 293.0 KB, over the 97.6562 KB limit"
    assert report.format == "html" and prov["sha256"] is None and prov["size_bytes"] == 300_006
    assert reads and all(0 < n <= 65536 for n in reads)


def test_unreadable_paths_give_one_line_errors(tmp_path):
    report, prov = parse_file(tmp_path / "nope.txt", source="nope.txt")
    assert report.error == "nope.txt: no such file" and prov["size_bytes"] is None
    report, _ = parse_file(tmp_path, source="dir")
    assert report.error == "dir: is a directory"


def test_a_parser_crash_is_this_documents_error(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_bytes(b"<html></html>")

    def crash(raw, source="", max_bytes=0, bad_cells="null", glued="strict"):
        raise RuntimeError("bug\nin parser")

    monkeypatch.setattr(parsers, "parse", crash)
    report, _ = parse_file(tmp_path / "a.html", root=tmp_path)
    assert report.error == "a.html: unexpected RuntimeError: bug in parser"


def bad_folder(tmp_path: Path) -> tuple[Path, int]:
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    good = sample_html()
    limit = len(good) + 100
    (raw / "good.html").write_bytes(good)
    (raw / "sub" / "empty.txt").write_bytes(b"")
    (raw / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (raw / "huge.html").write_bytes(b"<html>" + b"x" * (limit * 3))
    (raw / "README.md").write_text("not a document")
    return raw, limit


def test_a_folder_of_bad_documents_runs_to_the_end_with_one_error_line_each(tmp_path):
    raw, limit = bad_folder(tmp_path)
    summary = run_pipeline(raw, tmp_path / "clean", max_bytes=limit)
    assert (summary.documents, summary.parsed, summary.failed, summary.checks_failed) == (4, 1, 3, 0)
    assert len(summary.errors) == 3 and all("\n" not in e for e in summary.errors)
    assert [e.split(":")[0] for e in summary.errors] == ["huge.html", "junk.bin", "sub/empty.txt"]
    assert "over the" in summary.errors[0] and summary.errors[2] == "sub/empty.txt: empty file"
    assert summary.rejected == {"too_large": 1, "unsupported_format": 1, "empty": 1}
    tables = read_frames(current(tmp_path / "clean"), "parquet")
    assert len(tables["reports"]) == 4 and tables["reports"]["error"].notna().sum() == 3
    good = tables["reports"].loc[tables["reports"]["source"] == "good.html", "report_id"]
    assert set(tables["cells"]["report_id"]) == set(good) and len(tables["t3"]) == 1
    run = json.loads((current(tmp_path / "clean") / "run.json").read_text(encoding="utf-8"))
    assert run["summary"]["errors"] == summary.errors and run["tables"]["reports"] == 4


RUN_FILES = ("run.json", "release.json", "CHANGES.md")  # what this run did: differs from run to run


def dataset_files(clean: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(current(clean)).items() if k not in RUN_FILES}


def test_running_twice_gives_identical_files(tmp_path):
    raw, limit = bad_folder(tmp_path)
    run_pipeline(raw, tmp_path / "one", max_bytes=limit)
    first = dataset_files(tmp_path / "one")
    run_pipeline(raw, tmp_path / "one", max_bytes=limit)  # from the parse cache
    run_pipeline(raw, tmp_path / "two", max_bytes=limit, use_cache=False)
    assert sorted(first) == sorted([f"{n}.{f}" for n in SCHEMAS for f in ("csv", "parquet") if (n, f) != ("cells", "csv")]
                                   + ["codebook.csv", "datapackage.json"])
    tables = {name: data for name, data in first.items() if name != "datapackage.json"}  # it carries the release id
    for again in (dataset_files(tmp_path / "one"), dataset_files(tmp_path / "two")):
        assert {n: d for n, d in again.items() if n != "datapackage.json"} == tables
        package = json.loads(again["datapackage.json"])
        assert {k: v for k, v in package.items() if k not in ("version", "created")} == {
            k: v for k, v in json.loads(first["datapackage.json"]).items() if k not in ("version", "created")}


def test_the_run_output_is_the_same_in_csv_and_parquet(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, agency in enumerate(("甲县", "乙市教育局", "丙区")):
        (raw / f"r{i}.html").write_bytes(sample_html(agency, 2019 + i, granted=i + 1))
    summary = run_pipeline(raw, tmp_path / "clean")
    assert summary.parsed == 3 and summary.failed == 0
    csv, parquet = read_frames(current(tmp_path / "clean"), "csv"), read_frames(current(tmp_path / "clean"), "parquet")
    assert list(parquet) == list(SCHEMAS) and list(csv) == [n for n in SCHEMAS if n != "cells"]  # cells: Parquet-first
    for name in csv:
        pd.testing.assert_frame_equal(csv[name], parquet[name])
    assert sorted(parquet["t3"]["t3_granted_total"].tolist()) == [1, 2, 3]
    run_pipeline(raw, tmp_path / "csv", formats=("csv",))  # CSV the one format asked: cells too
    for name, table in read_frames(current(tmp_path / "csv"), "csv").items():
        pd.testing.assert_frame_equal(table, parquet[name])


def test_identical_documents_are_read_once(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.html").write_bytes(sample_html())
    (raw / "copy.html").write_bytes(sample_html())
    summary = run_pipeline(raw, tmp_path / "clean", formats=("parquet",))
    assert (summary.documents, summary.parsed, summary.duplicates, summary.failed) == (2, 1, 1, 0)
    assert summary.notes == [f"copy.html: same bytes as a.html (report {hashlib.sha256(sample_html()).hexdigest()[:16]}); skipped"]
    assert len(read_frames(current(tmp_path / "clean"))["reports"]) == 1


def test_a_missing_raw_folder_is_a_named_error(tmp_path):
    with pytest.raises(RawDirMissing, match="no such directory"):
        run_pipeline(tmp_path / "nope", tmp_path / "clean")
    assert not (tmp_path / "clean").exists()


def test_an_output_folder_inside_the_raw_folder_is_not_read_back(tmp_path):
    (tmp_path / "r.html").write_bytes(sample_html())
    first = run_pipeline(tmp_path, tmp_path / "clean")
    second = run_pipeline(tmp_path, tmp_path / "clean")
    assert first.documents == second.documents == 1 and second.errors == []


def test_an_empty_raw_folder_writes_empty_tables(tmp_path):
    (tmp_path / "raw").mkdir()
    summary = run_pipeline(tmp_path / "raw", tmp_path / "clean")
    assert summary.documents == 0 and summary.errors == []
    tables = read_frames(current(tmp_path / "clean"), "csv") | {"cells": read_frames(current(tmp_path / "clean"))["cells"]}
    assert all(tables[n].empty and list(tables[n].columns) == list(SCHEMAS[n]) for n in SCHEMAS)
