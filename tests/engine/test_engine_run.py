"""The run as an engine: --jobs gives identical tables, the parse cache re-parses only what changed,
streamed tables equal the in-memory build, releases switch in one step, bad input stays per document."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline import load
from pipeline.dataset import build
from pipeline.dataset.normalize import MAX_WARNINGS, joined_warnings, records_to_frames
from pipeline.dataset.release_dirs import (
    CURRENT_FILE,
    CURRENT_LINK,
    RELEASES,
    current_release_id,
    release_ids,
)
from pipeline.dataset.schema import SCHEMAS
from pipeline.engine.cache import source_version
from pipeline.engine.orchestrate import parse_files, run_pipeline
from tests.conftest import sample_html
from tests.corpus import write_corpus
from tests.parsers.test_caps import _glued_text
from tests.release import current

ROOT = Path(__file__).resolve().parents[2]
RUN_FILES = ("run.json", "release.json", "CHANGES.md")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """18 mixed documents (HTML, GBK HTML, text shapes, Markdown, PDF, DOCX) and one that is not a report."""
    raw = tmp_path_factory.mktemp("raw")
    write_corpus(raw, 18, seed=9, pdf_share=0.12, docx_share=0.12, per_folder=7)
    (raw / "g0000" / "junk.bin").write_bytes(bytes(range(256)) * 8)
    return raw


def dataset_files(clean: Path) -> dict[str, bytes]:
    """The files of the current release, datapackage.json without the release's id and time."""
    files = {p.name: p.read_bytes() for p in sorted(current(clean).iterdir()) if p.name not in RUN_FILES}
    package = json.loads(files["datapackage.json"])
    files["datapackage.json"] = json.dumps({k: v for k, v in package.items() if k not in ("version", "created")},
                                           sort_keys=True).encode()
    return files


def test_the_tables_are_identical_whatever_the_number_of_jobs(corpus, tmp_path):
    one = run_pipeline(corpus, tmp_path / "one", jobs=1, use_cache=False)
    three = run_pipeline(corpus, tmp_path / "three", jobs=3, use_cache=False)
    assert (one.documents, one.failed) == (three.documents, three.failed) == (19, 1)
    assert {".pdf", ".docx", ".html", ".md", ".txt"} <= {p.suffix for p in corpus.rglob("*")}
    assert dataset_files(tmp_path / "one") == dataset_files(tmp_path / "three")


def test_streamed_batches_equal_the_tables_built_in_memory(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "BATCH_DOCS", 4)  # several batches, one not full
    run_pipeline(corpus, tmp_path / "clean", jobs=2, use_cache=False)
    paths = sorted(p for p in corpus.rglob("*") if p.is_file())
    expected = records_to_frames(list(parse_files(paths, root=corpus)))
    streamed = load(tmp_path / "clean")
    assert list(streamed) == list(SCHEMAS)
    for name in SCHEMAS:
        pd.testing.assert_frame_equal(streamed[name], expected[name], obj=name)


def test_a_rerun_takes_unchanged_documents_from_the_cache_and_parses_only_new_ones(corpus, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(corpus, raw)
    clean = tmp_path / "clean"
    first = run_pipeline(raw, clean, jobs=2)
    assert (first.fresh, first.cached) == (19, 0)
    tables = dataset_files(clean)
    again = run_pipeline(raw, clean, jobs=2)
    assert (again.fresh, again.cached, again.unchanged) == (0, 19, True) and dataset_files(clean) == tables
    assert len(release_ids(clean)) == 1  # nothing changed: the current release stays, no new one
    (raw / "g0001" / (next((raw / "g0001").iterdir()).name)).rename(raw / "g0001" / "renamed.txt")
    renamed = run_pipeline(raw, clean, jobs=2)  # same bytes under another name: rebuilt from the cache
    assert (renamed.fresh, renamed.cached, renamed.unchanged) == (0, 19, False) and len(release_ids(clean)) == 2
    assert "renamed.txt" in set(load(clean)["reports"]["source"].str.split("/").str[-1])
    (raw / "new.html").write_bytes(sample_html("新增县", 2021))
    (raw / "g0000" / "junk.bin").write_bytes(sample_html("改过县", 2022))  # changed bytes
    added = run_pipeline(raw, clean, jobs=2)
    assert (added.documents, added.fresh, added.cached, added.failed) == (20, 2, 18, 0)
    assert run_pipeline(raw, clean, bad_cells="fail").fresh == 20  # an option that changes records
    assert run_pipeline(raw, clean, use_cache=False).fresh == 20


def test_the_parser_version_changes_with_the_parsing_code(tmp_path):
    copy = tmp_path / "parsers"
    shutil.copytree(ROOT / "parsers", copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_version(copy)
    assert source_version(copy) == before == source_version(ROOT / "parsers")
    with open(copy / "cells.py", "a", encoding="utf-8") as fh:
        fh.write("\n# a change\n")
    assert source_version(copy) != before


def test_a_run_killed_mid_way_leaves_the_previous_release_and_the_next_run_cleans_up(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.html").write_bytes(sample_html("甲县", 2020))
    clean = tmp_path / "clean"
    run_pipeline(raw, clean, jobs=1)
    before, first_id = dataset_files(clean), current_release_id(clean)
    for i in range(400):  # enough documents to be still parsing when killed
        name = "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12] + "县"
        (raw / f"d{i:03d}.html").write_bytes(sample_html(name, 2019 + i // 120, granted=i % 7 + 1))
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--clean", str(clean),
                             "-q", "--jobs", "1"], cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while not any((clean / RELEASES).glob(".tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # parsing the slow documents
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list((clean / RELEASES).glob(".tmp-*"))  # killed while building its release
    assert current_release_id(clean) == first_id and dataset_files(clean) == before
    assert len(load(clean)["reports"]) == 1
    summary = run_pipeline(raw, clean, jobs=2)
    assert summary.documents == 401 and current_release_id(clean) != first_id
    assert not list((clean / RELEASES).glob(".tmp-*")) and not list(clean.glob("*.tmp"))
    assert summary.cached >= 1  # the cache (SQLite WAL) is whole after the kill


def test_releases_are_kept_loaded_by_id_and_pruned(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    clean = tmp_path / "clean"
    for year in (2019, 2020, 2021):
        (raw / f"{year}.html").write_bytes(sample_html("甲县", year))
        run_pipeline(raw, clean, keep=2)
    ids = release_ids(clean)
    assert len(ids) == 2 and ids[-1] == current_release_id(clean)
    assert os.readlink(clean / CURRENT_LINK) == f"{RELEASES}/{ids[-1]}"
    assert (clean / CURRENT_FILE).read_text(encoding="utf-8").strip() == ids[-1]
    assert len(load(clean, release=ids[0])["reports"]) == 2 and len(load(clean)["reports"]) == 3
    (clean / CURRENT_LINK).unlink()  # a platform without symlinks: CURRENT says which
    assert len(load(clean)["reports"]) == 3


def test_bad_names_bytes_and_folders_stay_per_document(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "locked").mkdir(parents=True)
    gbk_name = os.fsencode(raw) + b"/" + "年报".encode("gbk") + b".html"
    with open(gbk_name, "wb") as fh:
        fh.write(sample_html("甲县", 2020))
    (raw / "nul.html").write_bytes(sample_html("乙县", 2021).replace(b"<p>", b"<p>\x00\x01"))
    (raw / "locked" / "x.html").write_bytes(sample_html("丙县", 2022))
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = run_pipeline(raw, tmp_path / "clean", jobs=1)
    assert summary.errors == ["locked/: folder cannot be read: permission denied"] and summary.failed == 1
    reports = load(tmp_path / "clean")["reports"].set_index("source")
    assert set(reports.index) == {"\\xc4걨.html", "nul.html"}  # GBK c4 ea b1 a8: \xc4 is not UTF-8, ea b1 a8 is
    assert reports["error"].isna().all()
    assert "control byte(s) (NUL…) removed" in reports.loc["nul.html", "warnings"]


def test_warnings_are_capped_with_a_count():
    many = [f"warning {i} " + "x" * 1000 for i in range(5000)]
    text = joined_warnings(many)
    assert len(text) < 25_000 and text.endswith(f"… and {5000 - MAX_WARNINGS} more warnings")
    assert text.count(" | ") == MAX_WARNINGS


@pytest.mark.parametrize(("table", "column", "value"), [
    ("cells", "kind", "guessed"), ("t3", "t3.granted.total", -3.0), ("reports", "template", "2018"),
    ("reports", "report_id", "not-hex"), ("comparable", "year", 1200), ("cells", "key", None)])
def test_the_column_wise_check_refuses_what_pandera_refuses(table, column, value):
    from pipeline.dataset.validate import table_problems

    frames = records_to_frames(list(parse_files([ROOT / "data" / "raw" / "samples" / p.name
                                                 for p in sorted((ROOT / "data" / "raw" / "samples").iterdir())[:3]])))
    assert all(build._passes(name, frame) for name, frame in frames.items())
    frames[table].loc[0, column] = value
    assert not build._passes(table, frames[table]) and table_problems(table, frames[table])


def test_a_document_stopped_by_a_limit_is_tried_again_on_the_next_run(tmp_path):
    from pipeline.engine.workers import Limits

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.html").write_bytes(sample_html("甲县", 2020))
    prose = ("本年度我单位认真贯彻落实政府信息公开条例，" * 40 + "\n").encode() * 8000
    (raw / "slow.txt").write_bytes(_glued_text("7" * 60) + prose)  # 20 MB of text: over a second to read
    first = run_pipeline(raw, tmp_path / "clean", jobs=1, limits=Limits(timeout_s=0.5))
    assert first.errors == ["slow.txt: parsing took over 0.5 s (time limit); stopped"]
    again = run_pipeline(raw, tmp_path / "clean", jobs=1)  # not cached, not "unchanged": parsed again
    assert (again.fresh, again.cached, again.failed, again.unchanged) == (1, 1, 0, False)
