"""kill -9 in the middle of a crawl (a real subprocess), then run again: the run resumes, the
archive and manifest are intact, nothing already stored is requested again, nothing is doubled,
and the parse side sees every report once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.collect.archive import Archive, verify_archive
from pipeline.collect.crawl import CrawlOptions, fetch_urls
from pipeline.collect.fetch import FetchOptions
from pipeline.engine.orchestrate import iter_documents, run_pipeline
from tests.conftest import sample_html
from tests.release import current
from tests.sites.fakeweb import FakeSite, Resp, html, links

ROOT = Path(__file__).resolve().parents[2]
YEARS = range(2008, 2024)
AGENCY = "虚构区人民政府办公室"


def kill_site() -> FakeSite:
    listing = html("政府信息公开年报", links(*[(f"/nb/{y}.html", f"{AGENCY}{y}年政府信息公开工作年度报告")
                                           for y in YEARS]))
    routes: dict[str, Resp | list[Resp]] = {"/robots.txt": Resp(b"", status=404),
                                            "/nb/index.html": Resp(listing, etag='"list"')}
    routes.update({f"/nb/{y}.html": Resp(sample_html(AGENCY, y, granted=y - 2000), etag=f'"{y}"') for y in YEARS})
    return FakeSite(routes)


def start_crawl(url: str, raw: Path) -> subprocess.Popen:
    code = "import sys; from pipeline.cli.fetch import fetch_command; fetch_command(sys.argv[1:])"
    args = [sys.executable, "-c", code, url, "--raw", str(raw), "--delay", "0.08", "--retries", "0", "-q",
            "--contact", "tests@example.invalid"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_hits(site: FakeSite, count: int, proc: subprocess.Popen, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while len(site.hits()) < count:
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the crawl ended or stalled before {count} requests ({len(site.hits())} seen)")
        time.sleep(0.01)


@pytest.mark.parametrize("kill_after", [4, 11])
def test_a_crawl_killed_mid_way_resumes_with_nothing_lost_or_doubled(tmp_path, kill_after):
    site = kill_site().start()
    raw = tmp_path / "raw"
    try:
        proc = start_crawl(site.url("/nb/index.html"), raw)
        wait_for_hits(site, kill_after, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = len(site.hits())
        with Archive(raw) as archive:
            stored_before = {u for (u,) in archive.query("SELECT url FROM fetches WHERE sha256 IS NOT NULL")}
            unfinished = archive.query("SELECT id FROM runs WHERE finished_at IS NULL")
        assert unfinished and 0 < len(stored_before) < len(YEARS) + 1  # really killed mid-way

        options = CrawlOptions(fetch=FetchOptions(delay=0.02, retries=0, read_timeout=2))
        summary = fetch_urls([site.url("/nb/index.html")], raw, options=options)
    finally:
        site.stop()

    assert summary.resumed_run and summary.resumed == len(stored_before) and not summary.needs_attention
    second_run = {site.base + h.path for h in site.hits()[killed_at:]}
    assert not second_run & stored_before  # nothing already stored was requested again
    assert verify_archive(raw) == []
    docs = list(iter_documents(raw))
    assert len(docs) == len(YEARS) and all(d.parent.parent.name == "archive" for d in docs)
    with Archive(raw) as archive:
        assert archive.query("SELECT COUNT(*), COUNT(DISTINCT url) FROM versions") == [(len(YEARS) + 1,) * 2]
        assert archive.query("SELECT COUNT(*) FROM runs WHERE finished_at IS NULL") == [(0,)]
    assert not [p for p in raw.rglob("*.tmp")]

    clean = tmp_path / "clean"
    result = run_pipeline(raw, clean, formats=("csv",))
    reports = pd.read_csv(current(clean) / "reports.csv")
    assert result.failed == 0 and result.duplicates == 0
    assert len(reports) == len(YEARS) and sorted(reports["year"]) == list(YEARS)
