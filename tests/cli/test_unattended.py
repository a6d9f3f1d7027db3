"""Running the crawl unattended, through the `nianbao` command against sites on 127.0.0.1: the
alert policy (one dead link exits 0 and is listed by `sites`; a start page down 3 runs in a row,
or too many sites failing, exits 1), the run history, the JSON log file, signals, the WARC file,
and a command line that starts without loading the heavy libraries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import cli
from pipeline.cli.main import COMMANDS
from pipeline.collect.archive import record_run_result
from tests.sites import govsites
from tests.sites.fakeweb import FakeSite, Resp, html, links

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--delay", "0", "--read-timeout", "1", "--retries", "0", "--contact", "tests@example.invalid", "-q"]


@pytest.fixture
def runner():
    return CliRunner()


def many_sites(count: int) -> FakeSite:
    """One host serving `count` small sites under /s0/ ... each with one report."""
    routes: dict[str, Resp | list[Resp]] = {"/robots.txt": Resp(b"")}
    for i in range(count):
        routes[f"/s{i}/"] = Resp(html("年报", links((f"/s{i}/r.html", f"第{i}区2023年政府信息公开工作年度报告"))))
        routes[f"/s{i}/r.html"] = Resp(govsites.gbk_report(f"第{i}区人民政府", 2023))
    return FakeSite(routes)


def sources_file(path: Path, site: FakeSite, count: int) -> Path:
    rows = "".join(f"第{i}区,{site.url(f'/s{i}/')}\n" for i in range(count))
    path.write_text("name,start_urls\n" + rows, encoding="utf-8")
    return path


def fetch(runner: CliRunner, raw: Path, *args: str):
    return runner.invoke(cli.main, ["fetch", "--raw", str(raw), *FAST, *args])


def as_json(runner: CliRunner, *args: str):
    result = runner.invoke(cli.main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- alerts that mean something ---------------------------------------------------------------------


def test_one_dead_link_among_good_reports_exits_0_and_is_listed_by_sites(runner, servers, tmp_path):
    a, other = servers(govsites.site_a(failures=True)), servers(FakeSite())  # a 404 link, a redirect off the site
    govsites.add_offsite_redirect(a, other)
    result = fetch(runner, tmp_path, a.url("/zwgk/zfxxgk/"))
    assert result.exit_code == 0, result.output
    assert "gone.html" in result.stderr  # logged as it happened

    (site,) = as_json(runner, "sites", "--raw", str(tmp_path), "--json")
    assert site["site"] == a.base.split("//")[1] and site["start_url"] == a.url("/zwgk/zfxxgk/")
    assert site["last_success"] and site["last_failure"] is None and site["consecutive_failures"] == 0
    # reports 2023 and 2021 (HTML), 2022 (a page with its PDF), 2020 (a DOCX linked from the listing)
    assert site["reports_known"] == 4 and site["new_this_run"] == 4
    dead = {d["url"].rsplit("/", 1)[1]: d for d in site["dead_links"]}
    assert dead["gone.html"]["class"] == "http-4xx" and dead["gone.html"]["status"] == 404
    assert dead["moved.html"]["class"] == "offsite"
    table = runner.invoke(cli.main, ["sites", "--raw", str(tmp_path)])
    assert "dead link [http-4xx]" in table.output and "gone.html" in table.output


def test_a_start_page_down_three_runs_in_a_row_exits_1_on_the_third(runner, servers, tmp_path):
    web = servers(many_sites(3))
    sources = sources_file(tmp_path / "s.csv", web, 3)
    del web.routes["/s2/"]  # 第2区's start page is a 404 from now on
    codes = [fetch(runner, tmp_path / "raw", "--sources", str(sources), "--fail-on", "consecutive=3").exit_code
             for _ in range(3)]
    assert codes == [0, 0, 1]
    status = {s["site"]: s for s in as_json(runner, "sites", "--raw", str(tmp_path / "raw"), "--json")}
    assert status["第2区"]["consecutive_failures"] == 3 and status["第2区"]["last_failure"]["class"] == "http-4xx"
    assert status["第0区"]["consecutive_failures"] == 0 and status["第0区"]["reports_known"] == 1
    web.routes["/s2/"] = web.routes["/s1/"]  # back up: the streak ends
    assert fetch(runner, tmp_path / "raw", "--sources", str(sources)).exit_code == 0
    status = {s["site"]: s for s in as_json(runner, "sites", "--raw", str(tmp_path / "raw"), "--json")}
    assert status["第2区"]["consecutive_failures"] == 0 and status["第2区"]["last_failure"]["class"] == "http-4xx"


def test_more_than_a_fifth_of_the_sites_failing_exits_1_by_default(runner, servers, tmp_path):
    web = servers(many_sites(6))
    sources = sources_file(tmp_path / "s.csv", web, 6)
    del web.routes["/s5/"]
    one_of_six = fetch(runner, tmp_path / "raw", "--sources", str(sources))
    assert one_of_six.exit_code == 0, one_of_six.output  # 17%: in `sites` and the log only
    del web.routes["/s4/"]
    two_of_six = fetch(runner, tmp_path / "raw", "--sources", str(sources))
    assert two_of_six.exit_code == 1 and "2 of 6 sites failed" in two_of_six.stderr
    assert fetch(runner, tmp_path / "raw", "--sources", str(sources), "--fail-on", "never").exit_code == 0


def test_a_bad_fail_on_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli.main, ["fetch", "--raw", str(tmp_path), "--fail-on", "sometimes", "http://127.0.0.1:1/"])
    assert result.exit_code == 2 and "--fail-on" in result.output


def test_a_server_dripping_its_headers_does_not_hold_the_run(runner, servers, tmp_path):
    slow = servers(FakeSite({"/robots.txt": Resp(b""), "/": Resp(drip_headers=0.1)}))
    started = time.monotonic()
    result = runner.invoke(cli.main, ["fetch", "--raw", str(tmp_path), slow.url("/"), "--read-timeout", "2",
                                      "--retries", "0", "--delay", "0", "-q"])
    assert time.monotonic() - started < 10
    assert result.exit_code == 1  # the only site failed: 100% of the sites
    (site,) = as_json(runner, "sites", "--raw", str(tmp_path), "--json")
    assert site["last_failure"]["class"] == "timeout" and "headers" in site["last_failure"]["error"]


# --- run history --------------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_with_their_counts(runner, servers, tmp_path):
    web = servers(many_sites(2))
    sources = sources_file(tmp_path / "s.csv", web, 2)
    assert fetch(runner, tmp_path, "--sources", str(sources)).exit_code == 0
    del web.routes["/s1/"]
    assert fetch(runner, tmp_path, "--sources", str(sources), "--fail-on", "any").exit_code == 1
    record_run_result(tmp_path, parsed=7, cached=5, parse_failed=1, release_id="20250131T031700Z")

    newest, oldest = as_json(runner, "runs", "--raw", str(tmp_path), "--json")
    assert newest["id"] > oldest["id"] and newest["command"] == oldest["command"] == "fetch"
    assert (oldest["exit_status"], newest["exit_status"]) == (0, 1)
    assert oldest["sites"] == 2 and oldest["sites_failed"] == 0 and oldest["new_documents"] == 2
    assert newest["sites_failed"] == 1 and newest["new_documents"] == 0 and newest["requests"] >= 3
    assert (newest["parsed"], newest["cached"], newest["parse_failed"], newest["release_id"]) == (
        7, 5, 1, "20250131T031700Z")
    assert oldest["parsed"] is None and oldest["release_id"] is None  # this run did not parse
    assert newest["duration"] >= 0 and newest["finished_at"] >= newest["started_at"]
    assert not newest["interrupted"]
    table = runner.invoke(cli.main, ["runs", "--raw", str(tmp_path)])
    assert table.exit_code == 0 and "20250131T031700Z" in table.output


def test_history_commands_on_a_raw_folder_never_crawled(runner, tmp_path):
    assert as_json(runner, "runs", "--raw", str(tmp_path), "--json") == []
    assert as_json(runner, "sites", "--raw", str(tmp_path), "--json") == []
    assert record_run_result(tmp_path, parsed=1) is None and not (tmp_path / ".crawl").exists()


# --- logs ---------------------------------------------------------------------------------------------


def test_the_log_file_has_one_json_object_per_event(runner, servers, tmp_path):
    a = servers(govsites.site_a(failures=True))
    log = tmp_path / "logs" / "nianbao.jsonl"
    result = runner.invoke(cli.main, ["--log-file", str(log), "fetch", "--raw", str(tmp_path / "raw"),
                                      a.url("/zwgk/zfxxgk/"), *FAST])
    assert result.exit_code == 0
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert all(set(e) >= {"time", "level", "site", "url", "event", "message"} for e in events)
    kinds = {e["event"] for e in events}
    assert {"run.start", "request", "link.failed", "site.done", "progress", "run.end"} <= kinds
    requests = [e for e in events if e["event"] == "request"]
    assert any(e["url"] == a.url("/art/2024/1/15/art_1_1.html") for e in requests)
    assert all(e["site"] == a.base.split("//")[1] for e in requests)
    dead = next(e for e in events if e["event"] == "link.failed" and e["url"].endswith("gone.html"))
    assert dead["level"] == "warning" and "404" in dead["message"]
    assert events[0]["time"].endswith("+00:00")


def test_verbose_shows_timestamped_progress_with_sites_done_of_total(runner, servers, tmp_path):
    web = servers(many_sites(2))
    sources = sources_file(tmp_path / "s.csv", web, 2)
    result = runner.invoke(cli.main, ["-v", "fetch", "--raw", str(tmp_path), "--sources", str(sources), *FAST])
    assert result.exit_code == 0
    progress = [line for line in result.stderr.splitlines() if "done (ok)" in line]
    assert [p.split("site ")[1].split(" done")[0] for p in progress] == ["1/2", "2/2"]
    assert all(line[:4].isdigit() and "Z info " in line for line in progress)
    assert "req/s" in progress[-1] and "left" in progress[-1]


def test_long_messages_are_wrapped_never_cut():
    from pipeline.cli.logs import wrap

    text = "nianbao: http://example.gov.cn/" + "很长的路径/" * 40 + " connection refused: [Errno 111] Connection refused"
    wrapped = wrap(text, 60)
    assert wrapped.replace("\n    ", " ").split() == text.split()
    assert all(len(line) <= 60 or " " not in line.strip() for line in wrapped.splitlines())


# --- signals ------------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_after_the_current_request_and_the_run_is_recorded_interrupted(servers, tmp_path, signum,
                                                                                     code, runner):
    count = 8
    web = many_sites(count)
    for i in range(count):
        web.routes[f"/s{i}/r.html"] = Resp(govsites.gbk_report(f"第{i}区人民政府", 2023), stall=0.4)
    servers(web)
    sources = sources_file(tmp_path / "s.csv", web, count)
    log = tmp_path / "log.jsonl"
    child = subprocess.Popen([sys.executable, "-m", "pipeline", "--log-file", str(log), "fetch", "--raw",
                              str(tmp_path / "raw"), "--sources", str(sources), "--delay", "0", "-q"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sum(h.path.endswith("r.html") for h in web.hits()) < 2:
        time.sleep(0.05)
    child.send_signal(signum)
    _out, err = child.communicate(timeout=30)
    assert child.returncode == code, err
    assert len(err.strip().splitlines()) <= 2 and "recorded as interrupted" in err.strip().splitlines()[-1]
    reports = sum(h.path.endswith("r.html") for h in web.hits())
    assert reports < count  # it stopped instead of finishing the sites
    (run,) = as_json(runner, "runs", "--raw", str(tmp_path / "raw"), "--json")
    assert run["interrupted"] and run["exit_status"] == code and run["finished_at"]
    done = [s for s in as_json(runner, "sites", "--raw", str(tmp_path / "raw"), "--json")]
    assert all(s["last_success"] for s in done) and len(done) <= reports  # sites cut short are not judged
    assert any(json.loads(line)["event"] == "run.stopping" for line in log.read_text(encoding="utf-8").splitlines())


# --- WARC ---------------------------------------------------------------------------------------------


def test_fetch_writes_a_warc_that_reads_back(runner, servers, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    a = servers(govsites.site_a(failures=False))
    warc = tmp_path / "crawl.warc.gz"
    result = fetch(runner, tmp_path / "raw", a.url("/zwgk/zfxxgk/"), "--warc", str(warc))
    assert result.exit_code == 0 and warc.is_file() and not list(tmp_path.glob("*.tmp"))
    responses, requests, kinds = {}, set(), []
    with warc.open("rb") as fh:
        for record in ArchiveIterator(fh):
            kinds.append(record.rec_type)
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response":
                responses[uri] = (record.http_headers.get_statuscode(), record.content_stream().read())
            elif record.rec_type == "request":
                requests.add(uri)
    assert kinds[0] == "warcinfo"
    pdf = a.routes["/uploads/2022.pdf"]
    assert responses[a.url("/uploads/2022.pdf")] == ("200", pdf.body)
    assert responses[a.url("/art/2022/1/12/art_1_3.html")][0] == "301"  # redirects are kept, for replay
    assert a.url("/robots.txt") in responses and set(responses) == requests

    again = tmp_path / "again.warc"
    assert fetch(runner, tmp_path / "raw", a.url("/zwgk/zfxxgk/"), "--warc", str(again)).exit_code == 0
    with again.open("rb") as fh:
        reused = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read() for r in ArchiveIterator(fh)
                  if r.rec_type == "response" and r.rec_headers.get_header("WARC-Nianbao-Source") == "archive"}
    assert reused[a.url("/uploads/2022.pdf")] == pdf.body  # a 304: rebuilt from the archive


# --- a quick start ------------------------------------------------------------------------------------


def test_importing_the_command_line_loads_no_heavy_library():
    code = ("import sys, pipeline.cli; from pipeline.cli.main import main\n"
            "try:\n    main(['--help'], prog_name='nianbao')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'pandera', 'pdfplumber', 'pyarrow', 'numpy', 'matplotlib')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_lazy_command_table_matches_the_commands(runner):
    for name, (_module, _attribute, short) in COMMANDS.items():
        command = cli.main.get_command(None, name)
        assert command is not None and command.name == name and command.short_help == short, name


def test_version_names_the_package_and_the_parsers(runner):
    from parsers.version import parser_version

    result = runner.invoke(cli.main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("nianbao ")
    assert f"parsers {parser_version()}" in result.output
    assert parser_version().startswith("1+") and len(parser_version()) == 2 + 12
