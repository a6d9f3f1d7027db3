"""pipeline.collect.provenance: a document traced to the URL it was fetched from, the page that linked it,
its site and fetch times, read-only from the crawl manifest; and the run's reports carrying them."""

from __future__ import annotations

import hashlib
import re

import pytest

from pipeline.collect.archive import CHANGED, NEW, NOT_MODIFIED, Archive, FetchRecord, manifest_path
from pipeline.collect.provenance import ProvenanceUnavailable, crawled_sources, provenance_lookup
from pipeline.dataset.export import read_frames
from pipeline.dataset.reasons import rejection_reason
from pipeline.dataset.release_dirs import current_release
from pipeline.engine.orchestrate import run_pipeline
from tests.conftest import sample_html

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LIST = "http://qh.gov.cn/zwgk/nb/"
PAGE = "http://qh.gov.cn/zwgk/nb/2021.html"
PDF = "http://qh.gov.cn/files/2021.pdf"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def keep(archive: Archive, run: int, url: str, body: bytes, outcome: str, parent: str | None, kind: str,
         ext: str, **extra) -> str:
    path = archive.store(body, sha(body), ext, kind)
    archive.record(run, FetchRecord(url=url, outcome=outcome, parent_url=parent, site="青禾县", status=200,
                                    sha256=sha(body), path=path, kind=kind, report_url=PAGE, **extra))
    return path


@pytest.fixture
def crawled(tmp_path):
    """A raw folder: a listing page, a report page (v1, then v2 confirmed by a 304) and its PDF."""
    page_v1, page_v2, pdf = sample_html("青禾县人民政府", 2021, 3), sample_html("青禾县人民政府", 2021, 4), b"%PDF-1.4 junk"
    with Archive(tmp_path) as archive:
        run, _ = archive.begin_run()
        archive.record(run, FetchRecord(url=LIST, outcome=NEW, site="青禾县", status=200, kind="listing"))
        keep(archive, run, PAGE, page_v1, NEW, LIST, "report", "html", etag='"v1"')
        keep(archive, run, PAGE, page_v2, CHANGED, LIST, "report", "html", etag='"v2"',
             last_modified="Tue, 01 Mar 2022 08:00:00 GMT", final_url=PAGE + "?r=1")
        keep(archive, run, PAGE, page_v2, NOT_MODIFIED, LIST, "report", "html", etag='"v2"')
        pdf_path = keep(archive, run, PDF, pdf, NEW, PAGE, "attachment", "pdf")
        archive.finish_run(run, {})
    return tmp_path, {"v1": page_v1, "v2": page_v2, "pdf": pdf, "pdf_path": pdf_path}


def test_a_document_is_traced_to_its_url_parent_site_times_and_validators(crawled):
    raw, docs = crawled
    lookup = provenance_lookup(raw)
    page = lookup(sha(docs["v2"]), None)
    assert (page.url, page.parent_url, page.site) == (PAGE, LIST, "青禾县")
    assert page.etag == '"v2"' and page.last_modified is None  # the latest fetch (the 304) sent no Last-Modified
    assert ISO_UTC.match(page.first_fetched) and ISO_UTC.match(page.last_fetched)
    assert page.first_fetched <= page.last_fetched
    attachment = lookup(sha(docs["pdf"]), docs["pdf_path"])
    assert (attachment.url, attachment.parent_url) == (PDF, PAGE)
    assert lookup(sha(b"never crawled"), "samples/x.html") is None and lookup(None, None) is None


def test_the_url_is_where_the_bytes_came_from_after_a_redirect(tmp_path):
    body = sample_html("白鹭市教育局", 2022)
    with Archive(tmp_path) as archive:
        run, _ = archive.begin_run()
        keep(archive, run, PAGE, body, NEW, LIST, "report", "html", final_url="https://qh.gov.cn/nb/2021.html")
    assert provenance_lookup(tmp_path)(sha(body), None).url == "https://qh.gov.cn/nb/2021.html"


def test_the_manifest_is_only_read(crawled):
    raw, docs = crawled
    before = manifest_path(raw).read_bytes()  # (SQLite may add its -shm/-wal side files to read a WAL database)
    provenance_lookup(raw)(sha(docs["v2"]), None)
    crawled_sources(raw)
    assert manifest_path(raw).read_bytes() == before


def test_without_a_manifest_nothing_is_crawled_and_a_broken_one_is_a_named_error(tmp_path):
    assert provenance_lookup(tmp_path)(sha(b"x"), None) is None and crawled_sources(tmp_path) == []
    manifest_path(tmp_path).parent.mkdir(parents=True)
    manifest_path(tmp_path).write_bytes(b"not a database at all" * 100)
    with pytest.raises(ProvenanceUnavailable, match=r"manifest.sqlite: cannot"):
        provenance_lookup(tmp_path)


def test_crawled_sources_are_the_start_urls_of_each_site(crawled):
    raw, _docs = crawled
    assert crawled_sources(raw) == [{"site": "青禾县", "url": LIST}]


def test_the_run_puts_the_provenance_in_reports_and_errors_name_the_url(crawled, tmp_path):
    raw, docs = crawled
    (raw / "local.html").write_bytes(sample_html("望川县水利局", 2022))
    summary = run_pipeline(raw, tmp_path / "clean", formats=("parquet",))
    reports = read_frames(current_release(tmp_path / "clean"))["reports"].set_index("report_id")
    current = reports.loc[sha(docs["v2"])[:16]]
    assert (current["url"], current["parent_url"], current["site"], current["etag"]) == (PAGE, LIST, "青禾县", '"v2"')
    assert str(current["first_fetched"].tz) == "UTC" and current["first_fetched"] <= current["last_fetched"]
    assert sha(docs["v1"])[:16] not in reports.index  # the superseded version is not parsed
    local = reports.loc[sha(sample_html("望川县水利局", 2022))[:16]]
    assert local[["url", "parent_url", "site", "first_fetched", "last_fetched", "etag"]].isna().all()
    pdf = reports.loc[sha(docs["pdf"])[:16]]
    assert pdf["url"] == PDF and pdf["error"].startswith(f"{PDF} ({docs['pdf_path']}): ")
    assert summary.errors == [pdf["error"]] and summary.failed == 1
    plain = pdf["error"].replace(f"{PDF} ({docs['pdf_path']}):", f"{docs['pdf_path']}:")
    assert summary.rejected == {rejection_reason(plain, docs["pdf_path"]): 1}  # the URL does not change the reason
    package = (current_release(tmp_path / "clean") / "datapackage.json").read_text(encoding="utf-8")
    assert f'"path": "{LIST}"' in package and '"title": "青禾县"' in package
