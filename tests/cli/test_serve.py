"""`nianbao serve`: a real Datasette server on a free port of 127.0.0.1, read as a browser would."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import run_pipeline
from pipeline.cli.publish import serve_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, clean folder): `nianbao serve` in a child process (it publishes first), stopped after."""
    clean = tmp_path_factory.mktemp("clean")
    assert run_pipeline(ROOT / "data" / "raw", clean).failed == 0
    port = free_port()
    log = open(clean.parent / "serve.log", "wb")  # noqa: SIM115 - closed after the process
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--clean", str(clean), "--raw",
                             str(clean / "none"), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"serve exited {proc.returncode}: {(clean.parent / 'serve.log').read_text()[-2000:]}")
            try:
                if get(f"{base}/-/versions.json", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("serve did not answer within 90 s")
        yield base, clean
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def test_the_reports_json_has_every_report_with_region_and_links(server):
    base, _clean = server
    status, body = get(f"{base}/nianbao/reports.json?_shape=array&_size=max")
    assert status == 200
    rows = json.loads(body)
    assert len(rows) == len(list((ROOT / "data" / "raw" / "samples").iterdir()))
    assert {"province", "city", "agency_level", "sections", "source_url"} <= set(rows[0])
    assert all(r["sections"] >= 6 for r in rows)


def test_the_home_page_and_a_table_page_in_html(server):
    base, _clean = server
    status, home = get(f"{base}/")
    assert status == 200 and "政府信息公开工作年度报告数据" in home.decode("utf-8")
    status, page = get(f"{base}/nianbao/reports")
    text = page.decode("utf-8")
    assert status == 200
    assert "/nianbao/sections?report_id=" in text and "段正文" in text  # each report links to its texts
    for facet in ("province", "city", "year", "template"):
        assert f'data-column="{facet}"' in text, facet
    assert "datasette-vega" in text or "vega" in text.lower()  # the chart plugin is loaded


def test_search_across_section_texts(server):
    base, _clean = server
    status, body = get(f"{base}/nianbao/sections.json?_search=%E4%BF%A1%E6%81%AF%E5%A4%84%E7%90%86%E8%B4%B9"
                       "&_shape=array&_col=title")
    assert status == 200 and json.loads(body) and all(r["title"] == "其他需要报告的事项" for r in json.loads(body))


def test_serve_without_a_dataset_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(serve_command, ["--clean", str(tmp_path / "none")])
    assert result.exit_code == 1 and result.stderr.startswith("nianbao: error: ")


@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None,
                    reason="no /usr/bin/chromium (CI installs Debian's chromium when apt is available)")
def test_a_headless_browser_renders_the_reports_page(server, tmp_path):
    import matplotlib.image

    base, _clean = server
    shot = tmp_path / "reports.png"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,900", f"--screenshot={shot}", f"{base}/nianbao/reports"],
                   capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.stat().st_size > 10_000
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (900, 1280) and pixels.std() > 0.05  # a page, not a blank or error screen
