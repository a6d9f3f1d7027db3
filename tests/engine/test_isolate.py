"""pipeline.engine.isolate: one document per child process, with a wall-clock and a memory limit.

The child is forked, so a parser replaced here (monkeypatch) is the one the child runs: that is
how a hang, a memory hog and a crash are simulated without a file that triggers them.
"""

from __future__ import annotations

import os
import pickle
import signal
import time

import pytest

import parsers
from parsers import parse
from pipeline.engine import orchestrate
from pipeline.engine.isolate import parse_isolated
from tests.parsers.test_shapes import cell_problems
from tests.release import current
from tests.synth import make_report
from tests.synth_docs import render_docx, render_pdf


def _run(raw: bytes = b"%PDF-1.7 x", source: str = "doc.pdf", timeout_s: float = 20.0, memory_mb: int = 256):
    return parse_isolated(raw, source, timeout_s=timeout_s, memory_mb=memory_mb, max_bytes=32 << 20,
                          bad_cells="null")


def test_an_isolated_parse_returns_the_same_record_as_in_process():
    report = make_report("2019", 2, blank_zeros=True)
    raw = render_pdf(report, t4_header="vertical")
    isolated = _run(raw, "a.pdf", memory_mb=512)
    assert isolated.to_record() == parse(raw, "a.pdf").to_record()
    assert cell_problems(report, isolated.to_record(), "pdf") == []


def test_a_report_survives_pickling():
    report = parse(render_docx(make_report("2021", 2)), "a.docx")
    assert pickle.loads(pickle.dumps(report)).to_record() == report.to_record()


def test_a_hanging_parse_is_stopped_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(parsers, "parse", lambda *a, **k: time.sleep(60))
    start = time.monotonic()
    report = _run(timeout_s=1.0)
    assert time.monotonic() - start < 10
    assert report.error == "doc.pdf: parsing took over 1 s (time limit); stopped"


def test_a_parse_over_the_memory_limit_is_this_documents_error(monkeypatch):
    def hog(*args, **kwargs):
        blocks = [bytearray(64 << 20) for _ in range(32)]  # 2 GB, far over 256 MB
        return blocks

    monkeypatch.setattr(parsers, "parse", hog)
    report = _run(memory_mb=256)
    assert report.error == "doc.pdf: needs more than the 256 MB memory limit (MemoryError)"


def test_a_crashing_parser_process_is_this_documents_error(monkeypatch):
    monkeypatch.setattr(parsers, "parse", lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
    report = _run()
    assert report.error is not None and report.error.startswith("doc.pdf: parser process died (SIGKILL")


def test_the_pipeline_parses_every_format_in_a_bounded_worker(monkeypatch):
    calls = []
    def spy_isolated(raw, source, **kwargs):
        calls.append(source)
        return parse(raw, source)

    monkeypatch.setattr("pipeline.engine.isolate.parse_isolated", spy_isolated)
    for name, raw in (("a.pdf", render_pdf(make_report("2021", 1))), ("b.docx", render_docx(make_report("2019", 1))),
                      ("c.html", b"<html><body><p>x</p></body></html>"), ("d.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 600)):
        orchestrate.parse_bytes(raw, name)
    assert calls == ["a.pdf", "b.docx", "c.html", "d.doc"]


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_run_reads_pdf_and_docx_from_the_raw_archive(tmp_path, fmt):
    raw_dir = tmp_path / "raw" / "2024"
    raw_dir.mkdir(parents=True)
    report = make_report("2021", 6)
    (raw_dir / f"report.{fmt}").write_bytes(render_pdf(report) if fmt == "pdf" else render_docx(report))
    summary = orchestrate.run_pipeline(tmp_path / "raw", tmp_path / "clean", formats=("csv",))
    assert (summary.documents, summary.parsed, summary.failed) == (1, 1, 0)
    assert (current(tmp_path / "clean") / "reports.csv").read_text("utf-8").count(f"report.{fmt}") == 1
