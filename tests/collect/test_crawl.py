"""The crawler end to end against synthetic government sites on 127.0.0.1 (several hosts):
what is followed and what is not, the archive and manifest it leaves, revalidation, new versions,
adapters, the sources file and the `fetch` command."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli.fetch import EXIT_LOCKED, fetch_command
from pipeline.collect.archive import Archive, document_versions, lock_path, superseded_paths, verify_archive
from pipeline.collect.crawl import (
    CrawlOptions,
    Site,
    SourcesError,
    crawl_sites,
    fetch_sources,
    fetch_urls,
    load_sources,
)
from pipeline.collect.fetch import FetchOptions
from pipeline.engine.lock import run_lock
from pipeline.engine.orchestrate import iter_documents
from tests.sites import govsites
from tests.sites.fakeweb import FakeSite, Resp, html, links

OPTS = CrawlOptions(fetch=FetchOptions(user_agent="nianbao-test/0 (contact: tests@example.invalid)", delay=0.02,
                                       connect_timeout=1, read_timeout=0.3, deadline=5, max_bytes=100_000,
                                       retries=1, backoff=0.02, max_backoff=0.1, max_retry_after=2),
                    max_depth=3, workers=4)


def rows(raw: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with Archive(raw) as archive:
        return archive.query(sql, params)


def archived(raw: Path) -> list[Path]:
    return sorted(p for p in (raw / "archive").rglob("*") if p.is_file())


def test_a_crawl_follows_the_column_pagination_and_report_links_and_nothing_else(tmp_path, servers):
    a, other = servers(govsites.site_a()), servers(FakeSite())
    govsites.add_offsite_redirect(a, other)
    summary = fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)

    kinds = dict(rows(tmp_path, "SELECT url, kind FROM fetches WHERE sha256 IS NOT NULL"))
    assert kinds[a.url("/zwgk/zfxxgknb/index_1.html")] == "listing"  # reached by 下一页
    assert kinds[a.url("/art/2024/1/15/art_1_1.html")] == "report"  # HTML with tables
    assert kinds[a.url("/art/2023/1/10/art_1_2.html")] == "report_page"  # its report is the PDF
    assert kinds[a.url("/uploads/2022.pdf")] == kinds[a.url("/uploads/2020.docx")] == "attachment"
    report_of = dict(rows(tmp_path, "SELECT url, report_url FROM fetches WHERE url LIKE '%.pdf'"))
    assert report_of[a.url("/uploads/2022.pdf")] == a.url("/art/2023/1/10/art_1_2.html")
    final = dict(rows(tmp_path, "SELECT url, final_url FROM fetches WHERE url LIKE '%art_1_3%'"))
    assert final[a.url("/art/2022/1/12/art_1_3.html")] == a.url("/art/2022/1/12/art_1_3_new.html")

    requested = set(a.paths())
    assert not requested & {"/ldzc/", "/ldzc/index.html", "/zwgk/zn/", "/art/2024/1/16/art_1_9.html",
                            "/private/t2020.html"}
    assert other.hits() == []  # the redirect to another host was not followed
    assert {p.suffix for p in archived(tmp_path)} == {".html", ".pdf", ".docx"}
    assert len(archived(tmp_path)) == 4  # 2023 and 2021 reports, the PDF, the DOCX
    assert summary.needs_attention and len(summary.errors) == 2
    assert any("gone.html" in e and "404" in e for e in summary.errors)
    assert any("off-site" in e for e in summary.errors)
    assert summary.robots_skipped == 1


def test_gbk_pages_are_read_with_and_without_a_declared_charset(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)
    enc = dict(rows(tmp_path, "SELECT url, encoding FROM fetches WHERE encoding IS NOT NULL"))
    assert enc[a.url("/zwgk/zfxxgk/")] == "gb18030"  # <meta charset=gb2312>
    assert enc[a.url("/zwgk/zfxxgknb/index.html")] == "gb18030"  # no charset anywhere
    assert enc[a.url("/zwgk/zfxxgknb/index_1.html")] == "gb18030"  # charset=GBK in the header only
    # the report links of the undeclared GBK page are known only by their (decoded) text
    assert a.hits("/art/2024/1/15/art_1_1.html") and a.hits("/art/2023/1/10/art_1_2.html")


def test_every_fetch_is_in_the_manifest_and_the_bytes_are_exact(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)
    body = a.routes["/uploads/2022.pdf"].body
    sha = hashlib.sha256(body).hexdigest()
    path = tmp_path / "archive" / sha[:2] / f"{sha}.pdf"
    assert path.read_bytes() == body
    (row,) = rows(tmp_path, "SELECT status, last_modified, content_type, parent_url, fetched_at, size, path "
                            "FROM fetches WHERE sha256 = ?", (sha,))
    assert row[:4] == (200, govsites.LM, "application/pdf", a.url("/art/2023/1/10/art_1_2.html"))
    assert row[4] and row[5] == len(body) and row[6] == f"archive/{sha[:2]}/{sha}.pdf"
    assert verify_archive(tmp_path) == []


def test_a_second_run_on_an_unchanged_site_only_revalidates_and_stores_nothing(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    first = fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)
    files, versions = archived(tmp_path), rows(tmp_path, "SELECT * FROM versions")
    before = len(a.hits())
    second = fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)

    again = [h for h in a.hits()[before:] if h.path != "/robots.txt"]
    assert again and all("if-none-match" in h.headers or "if-modified-since" in h.headers for h in again)
    assert {h.status for h in again} == {304, 301}  # the redirect hop, then 304: no body sent again
    assert first.new_documents == 4 and second.new_documents == second.new_versions == 0
    assert second.not_modified == sum(h.status == 304 for h in again) and second.downloaded == 0
    assert second.requests == len(again)
    assert archived(tmp_path) == files and rows(tmp_path, "SELECT * FROM versions") == versions


def test_a_changed_report_is_stored_as_exactly_one_new_version(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)
    old = set(archived(tmp_path))
    url = a.url("/art/2024/1/15/art_1_1.html")
    a.routes["/art/2024/1/15/art_1_1.html"] = Resp(govsites.gbk_report(govsites.A_AGENCY, 2023, granted=4),
                                                    etag='"r2023-2"')
    summary = fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)

    new = set(archived(tmp_path)) - old
    assert summary.new_versions == 1 and summary.new_documents == 0 and len(new) == 1
    assert old <= set(archived(tmp_path))  # the old version is kept
    versions = rows(tmp_path, "SELECT sha256 FROM versions WHERE url = ?", (url,))
    assert len(versions) == 2
    (superseded,) = superseded_paths(tmp_path)
    assert superseded in old and superseded.read_bytes() == govsites.gbk_report(govsites.A_AGENCY, 2023)
    current = {v.path for v in document_versions(tmp_path) if v.current and v.url == url}
    assert current == new


def test_misbehaving_servers_are_retried_bounded_and_reported(tmp_path, servers):
    b = servers(govsites.site_b())
    b.routes["/robots.txt"] = Resp(b"", status=404)
    summary = fetch_urls([b.url("/xxgk/nb/index.html")], tmp_path, options=OPTS)

    stored = {u.rsplit("/", 1)[1] for (u,) in rows(tmp_path, "SELECT url FROM fetches WHERE sha256 IS NOT NULL")}
    assert {"r2023.html", "r2022.html", "r2017.html", "index_1.html"} <= stored  # 500 then 200, 429 then 200
    assert [h.status for h in b.hits("/xxgk/nb/r2023.html")] == [500, 200]
    first, second = b.hits("/xxgk/nb/r2022.html")
    assert second.at - first.at >= 0.95  # Retry-After: 1
    errors = " | ".join(summary.errors)
    for name, words in (("r2021.html", "read timeout"), ("big.pdf", "limit"), ("cut.pdf", "truncated"),
                        ("loop.html", "redirect loop")):
        assert any(name in e and words in e for e in summary.errors), (name, errors)
    assert summary.failed == 4 and summary.needs_attention
    assert not any(p.name.startswith(".") for p in archived(tmp_path))


def test_sites_on_different_hosts_are_crawled_in_parallel_and_each_host_is_paced(tmp_path, servers):
    slow = CrawlOptions(fetch=OPTS.fetch.with_(delay=0.15), workers=4)
    sites = [servers(govsites.site_a(failures=False)) for _ in range(3)]
    summary = crawl_sites([Site(f"s{i}", (s.url("/zwgk/zfxxgk/"),)) for i, s in enumerate(sites)], tmp_path, slow)
    assert summary.sites == 3 and not summary.needs_attention
    for s in sites:
        times = sorted(h.at for h in s.hits())
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.145
    starts = sorted(min(h.at for h in s.hits()) for s in sites)
    assert starts[-1] - starts[0] < 0.5  # the three hosts started together, not one after another


def test_the_gkmlpt_adapter_reads_the_json_column(tmp_path, servers):
    g = servers(govsites.site_g())
    summary = fetch_urls([g.url("/qx/gkmlpt/annualreport#2629")], tmp_path, options=OPTS)
    assert not summary.needs_attention
    assert g.hits("/qx/gkmlpt/api/all/2629?page=1&sid=77") and g.hits("/qx/gkmlpt/content/1/1/post_101.html")
    assert not g.hits("/qx/gkmlpt/content/1/1/post_102.html")  # 解读 is not a report
    assert len(archived(tmp_path)) == 1


def test_a_sources_file_drives_several_sites_and_adapters(tmp_path, servers):
    a, g = servers(govsites.site_a(failures=False)), servers(govsites.site_g())
    sources = tmp_path / "sources.csv"
    sources.write_text("name,start_urls,adapter,options,province\n"
                       f"示范市,{a.url('/zwgk/zfxxgk/')},,,某省\n"
                       f"# 停用,{a.url('/nowhere')},,,\n"
                       f"某某区,{g.url('/qx/gkmlpt/annualreport')},gkmlpt,column=2629,某省\n", encoding="utf-8")
    summary = fetch_sources(sources, tmp_path / "raw", options=OPTS)
    assert summary.sites == 2 and not summary.needs_attention and summary.new_documents == 5
    assert not a.hits("/nowhere")
    sites = {s for (s,) in rows(tmp_path / "raw", "SELECT DISTINCT site FROM fetches")}
    assert sites == {"示范市", "某某区"}


def test_a_sources_row_can_follow_its_own_pattern_and_skips_non_documents(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    a.routes["/zwgk/zfxxgk/"] = Resp(html("公开", links(("/special/list.html", "专栏"))))
    a.routes["/special/list.html"] = Resp(html("专栏", links(
        ("/art/2024/1/15/art_1_1.html", "2023年政府信息公开工作年度报告"),
        ("/img/2023.jpg", "2023年政府信息公开工作年度报告（图片）"))))
    a.routes["/img/2023.jpg"] = Resp(b"\xff\xd8\xff\xe0 not a document", content_type="image/jpeg")
    plain = fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path / "plain", options=OPTS)
    assert plain.new_documents == 0 and not a.hits("/special/list.html")
    site = Site("示范市", (a.url("/zwgk/zfxxgk/"),), follow=r"/special/")
    summary = crawl_sites([site], tmp_path / "follow", OPTS)
    assert summary.new_documents == 1 and a.hits("/img/2023.jpg")
    assert rows(tmp_path / "follow", "SELECT outcome FROM fetches WHERE url LIKE '%.jpg'") == [("skipped",)]
    assert [p.suffix for p in archived(tmp_path / "follow")] == [".html"]


@pytest.mark.parametrize(("text", "words"), [
    ("url\nhttp://a.gov.cn/\n", "no name, start_urls column"),
    ("name,start_urls\n甲,ftp://a.gov.cn/\n", ":2: 甲: start_urls"),
    ("name,start_urls,follow\n甲,http://a.gov.cn/,(\n", "follow is not a valid pattern"),
    ("name,start_urls,max_depth\n甲,http://a.gov.cn/,deep\n", "max_depth"),
    ("name,start_urls,links_xpath\n甲,http://a.gov.cn/,//div[\n", "links_xpath is not a valid pattern"),
])
def test_a_bad_sources_file_is_one_line_naming_the_file(tmp_path, text, words):
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    assert str(err.value).startswith(str(path)) and words in str(err.value) and "\n" not in str(err.value)


def test_the_starter_sources_files_load_and_name_only_government_hosts():
    files = sorted(Path(__file__).resolve().parents[2].joinpath("data", "sources").glob("*.csv"))
    assert files
    for path in files:
        sites = load_sources(path)
        assert len(sites) > 100
        hosts = {s.host.split(":")[0] for s in sites}
        assert all(h.endswith(".gov.cn") for h in hosts), path
        assert len({s.name for s in sites}) > 50


def test_the_archive_does_not_show_the_manifest_or_listings_as_documents(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    fetch_urls([a.url("/zwgk/zfxxgk/")], tmp_path, options=OPTS)
    assert (tmp_path / ".crawl" / "manifest.sqlite").is_file()
    assert list(iter_documents(tmp_path)) == archived(tmp_path)


def test_the_fetch_command_exit_codes_and_lock(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    args = [a.url("/zwgk/zfxxgk/"), "--raw", str(tmp_path), "--delay", "0.02", "--read-timeout", "1",
            "--retries", "0", "--contact", "tests@example.invalid", "-q"]
    ok = CliRunner().invoke(fetch_command, args)
    assert ok.exit_code == 0, ok.output
    assert "contact: tests@example.invalid" in a.hits()[0].headers["user-agent"]
    a.routes["/art/2024/1/15/art_1_1.html"] = Resp(b"", status=500)
    dead_link = CliRunner().invoke(fetch_command, args)  # one dead report link: logged, not an alert
    assert dead_link.exit_code == 0 and "art_1_1.html" in dead_link.output
    strict = CliRunner().invoke(fetch_command, [*args, "--fail-on", "any"])
    assert strict.exit_code == 1 and "art_1_1.html" in strict.output
    with run_lock(lock_path(tmp_path)):
        locked = CliRunner().invoke(fetch_command, args)
    assert locked.exit_code == EXIT_LOCKED
    assert "another nianbao run" in locked.output and len(locked.output.strip().splitlines()) == 1
    usage = CliRunner().invoke(fetch_command, ["--raw", str(tmp_path)])
    assert usage.exit_code == 2


def test_the_fetch_options_compose_into_a_run_like_command(tmp_path, servers):
    import click

    from pipeline.cli.fetch import crawl_options, fetch_options, fetch_step, locked
    from pipeline.engine.orchestrate import run_pipeline

    @click.command()
    @click.option("--raw", "raw_dir", type=click.Path(path_type=Path))
    @fetch_options
    def run_like(raw_dir: Path, sources: Path | None, **params) -> None:
        with locked(raw_dir):
            fetched = fetch_step(sources, raw_dir, crawl_options(**params), show_bar=False)
            parsed = run_pipeline(raw_dir, tmp_path / "clean", formats=("csv",))
        click.echo(f"{fetched.line()}; {parsed.documents} documents")
        raise click.exceptions.Exit(1 if fetched.needs_attention or parsed.failed else 0)

    a = servers(govsites.site_a(failures=False))
    del a.routes["/art/2023/1/10/art_1_2.html"]  # a 404 now
    sources = tmp_path / "s.csv"
    sources.write_text(f"name,start_urls\n示范市,{a.url('/zwgk/zfxxgk/')}\n", encoding="utf-8")
    args = ["--raw", str(tmp_path / "raw"), "--sources", str(sources), "--delay", "0.02", "--fetch-workers", "2",
            "--contact", "tests@example.invalid"]
    result = CliRunner().invoke(run_like, args)
    assert "1 sites" in result.output and "3 new documents" in result.output and "; 3 documents" in result.output
    assert result.exit_code == 1  # the report page that is now a 404 needs a person


def test_links_xpath_limits_which_listing_links_are_judged(tmp_path, servers):
    a = servers(govsites.site_a(failures=False))
    a.routes["/zwgk/zfxxgk/"] = Resp(html("年报", '<div class="nav">' + links(
        ("/art/2023/1/10/art_1_2.html", "2022年政府信息公开工作年度报告")) + '</div><div class="list">' + links(
        ("/art/2024/1/15/art_1_1.html", "2023年政府信息公开工作年度报告")) + "</div>"))
    site = Site("示范市", (a.url("/zwgk/zfxxgk/"),), links_xpath="//div[@class='list']")
    summary = crawl_sites([site], tmp_path, OPTS)
    assert a.hits("/art/2024/1/15/art_1_1.html") and not a.hits("/art/2023/1/10/art_1_2.html")
    assert summary.new_documents == 1


def test_the_zhejiang_module_adapter_asks_year_by_year(tmp_path, servers):
    from pipeline.collect.sites import zj_annual

    z = FakeSite({"/robots.txt": Resp(b"", status=404)})
    for year in (2021, 2022):
        z.routes[f"/module/xxgk/xxgkAnnualReport.jsp?area=X1&fbtime={year}"] = Resp(
            govsites.sample_html("某某市人力资源和社会保障局", year))
    servers(z)
    site = Site("某某市人社局", (z.url("/module/xxgk/xxgkAnnualReport.jsp?area=X1"),), options=(("from", "2020"),))
    summary = crawl_sites([site], tmp_path, OPTS)
    asked = {h.path.rsplit("=", 1)[1] for h in z.hits() if "fbtime" in h.path}
    assert asked == {str(y) for y in range(2020, zj_annual.date.today().year)}
    assert summary.new_documents == 2 and not summary.needs_attention  # a year with no page (404) is an answer
    absent = rows(tmp_path, "SELECT COUNT(*) FROM fetches WHERE outcome = 'absent'")
    assert absent == [(len(asked) - 2,)]


def test_fetch_step_draws_a_progress_bar_when_asked(tmp_path, servers, capsys):
    from pipeline.cli.fetch import fetch_step

    a = servers(govsites.site_a(failures=False))
    summary = fetch_step(None, tmp_path, OPTS, True, urls=(a.url("/zwgk/zfxxgk/"),))
    err = capsys.readouterr().err
    assert summary.new_documents == 4 and "sites:" in err and "/1 [" in err  # sites done / total
    assert f"{summary.requests} requests" in err and "req/s" in err


def test_a_report_page_whose_body_lives_in_a_script_has_its_attachments_archived(tmp_path, servers):
    """Some CMSs ship the article as a JSON string drawn in the browser: the attachment it names
    (escaped, relative) is archived like any report page's attachment."""
    pdf = b"%PDF-1.4\n% made-up attachment\n%%EOF\n"
    body = ('<div id="app"></div><script>window._CONFIG = {"DETAIL": {"title": "示例县2024年政府信息公开工作年度报告",'
            ' "content": "<p>\\u8be6\\u89c1\\u9644\\u4ef6<\\/p>", "files": ["\\/uploads\\/nb2024.pdf"]}};</script>')
    site = servers(FakeSite({
        "/zfxxgknb/": Resp(html("年报", links(("/art/2025/1/20/art_9.html", "示例县2024年政府信息公开工作年度报告")))),
        "/art/2025/1/20/art_9.html": Resp(html("示例县2024年政府信息公开工作年度报告", body)),
        "/uploads/nb2024.pdf": Resp(pdf, content_type="application/pdf"),
    }))
    fetch_urls([site.url("/zfxxgknb/")], tmp_path, options=OPTS)
    kinds = dict(rows(tmp_path, "SELECT url, kind FROM fetches WHERE sha256 IS NOT NULL"))
    assert kinds[site.url("/uploads/nb2024.pdf")] == "attachment"
    assert [p.read_bytes() for p in archived(tmp_path) if p.suffix == ".pdf"] == [pdf]
