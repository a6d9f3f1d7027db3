"""pipeline.collect.fetch against real servers on 127.0.0.1: retries, Retry-After, timeouts, size limits,
truncation, redirects, robots.txt, Crawl-delay, conditional requests, per-host spacing."""

from __future__ import annotations

import gzip
import threading
import time

import pytest

from pipeline.collect.fetch import Fetcher, FetchOptions, retry_after_seconds
from pipeline.collect.transport import AddressRule
from tests.sites.fakeweb import FakeSite, Resp

FAST = FetchOptions(user_agent="nianbao-test/0 (contact: tests@example.invalid)", delay=0.05,
                    connect_timeout=1, read_timeout=0.3, deadline=5, max_bytes=50_000, retries=2,
                    backoff=0.05, max_backoff=0.2, max_retry_after=3)


def local_fetcher(options: FetchOptions, **kwargs) -> Fetcher:
    """A Fetcher allowed to reach 127.0.0.1 (the test sites), as a crawl whose start URL is there is."""
    addresses = AddressRule()
    addresses.permit_hosts_of(["http://127.0.0.1/"])
    return Fetcher(options, addresses=addresses, **kwargs)


@pytest.fixture
def site():
    s = FakeSite({"/robots.txt": Resp(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")}).start()
    yield s
    s.stop()


def test_user_agent_names_the_tool_and_a_contact(site):
    site.routes["/a"] = Resp(b"ok")
    local_fetcher(FAST).get(site.url("/a"))
    agent = site.hits("/a")[0].headers["user-agent"]
    assert agent.startswith("nianbao") and "contact" in agent


def test_500_then_success_is_retried_with_backoff(site):
    site.routes["/r"] = [Resp(b"oops", status=500), Resp(b"oops", status=503), Resp(b"fine")]
    got = local_fetcher(FAST).get(site.url("/r"))
    assert got.ok and got.body == b"fine" and got.attempts == 3
    times = [h.at for h in site.hits("/r")]
    assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1  # backoff doubles


def test_5xx_until_the_end_is_an_error_naming_the_url(site):
    site.routes["/down"] = Resp(b"", status=502)
    got = local_fetcher(FAST).get(site.url("/down"))
    assert not got.ok and got.error.startswith(site.url("/down")) and "502" in got.error
    assert len(site.hits("/down")) == FAST.retries + 1


def test_429_retry_after_is_honoured(site):
    site.routes["/busy"] = [Resp(b"", status=429, headers={"Retry-After": "1"}), Resp(b"done")]
    got = local_fetcher(FAST).get(site.url("/busy"))
    assert got.ok
    first, second = site.hits("/busy")
    assert second.at - first.at >= 0.95


def test_retry_after_longer_than_the_limit_gives_up_at_once(site):
    site.routes["/later"] = Resp(b"", status=503, headers={"Retry-After": "3600"})
    started = time.monotonic()
    got = local_fetcher(FAST).get(site.url("/later"))
    assert "Retry-After" in got.error and time.monotonic() - started < 2
    assert len(site.hits("/later")) == 1


def test_a_stalled_server_hits_the_read_timeout(site):
    site.routes["/stall"] = Resp(b"late", stall=1.5)
    started = time.monotonic()
    got = local_fetcher(FAST.with_(retries=1)).get(site.url("/stall"))
    assert not got.ok and "read timeout" in got.error
    assert len(site.hits("/stall")) == 2 and time.monotonic() - started < 3


@pytest.mark.parametrize("send_length", [True, False])
def test_a_body_over_the_limit_is_aborted(site, send_length):
    site.routes["/big"] = Resp(b"x" * 200_000, content_type="application/pdf", send_length=send_length)
    got = local_fetcher(FAST).get(site.url("/big"))
    assert got.body is None and "limit" in got.error
    assert len(site.hits("/big")) == 1  # not retried


def test_a_body_that_trickles_past_the_deadline_is_aborted(site):
    site.routes["/drip"] = Resp(b"x" * 400, trickle=0.05)  # each piece within the read timeout
    started = time.monotonic()
    got = local_fetcher(FAST.with_(deadline=0.4, retries=0)).get(site.url("/drip"))
    assert got.body is None and "deadline" in got.error and time.monotonic() - started < 1.5


def test_a_gzip_body_is_decoded_and_the_limit_applies_to_the_decoded_bytes(site):
    plain = "年度报告".encode() * 1000
    site.routes["/gz"] = Resp(gzip.compress(plain), headers={"Content-Encoding": "gzip"})
    assert local_fetcher(FAST).get(site.url("/gz")).body == plain
    site.routes["/bomb"] = Resp(gzip.compress(b"0" * 500_000), headers={"Content-Encoding": "gzip"})
    got = local_fetcher(FAST).get(site.url("/bomb"))
    assert got.body is None and "limit" in got.error


def test_a_truncated_body_is_retried_then_reported(site):
    site.routes["/cut"] = [Resp(b"%PDF-1.4 half", content_type="application/pdf", declared_length=5000),
                           Resp(b"%PDF-1.4 whole", content_type="application/pdf")]
    got = local_fetcher(FAST).get(site.url("/cut"))
    assert got.ok and got.body == b"%PDF-1.4 whole" and got.attempts == 2
    site.routes["/always-cut"] = Resp(b"abc", declared_length=999)
    bad = local_fetcher(FAST).get(site.url("/always-cut"))
    assert bad.body is None and "truncated" in bad.error


def test_redirects_are_followed_and_the_final_url_kept(site):
    site.routes["/old"] = Resp(status=301, headers={"Location": "/mid"})
    site.routes["/mid"] = Resp(status=302, headers={"Location": site.url("/new")})
    site.routes["/new"] = Resp(b"here")
    got = local_fetcher(FAST).get(site.url("/old"))
    assert got.ok and got.final_url == site.url("/new") and got.redirects == [site.url("/mid"), site.url("/new")]


def test_a_redirect_loop_is_an_error(site):
    site.routes["/a"] = Resp(status=302, headers={"Location": "/b"})
    site.routes["/b"] = Resp(status=302, headers={"Location": "/a"})
    got = local_fetcher(FAST).get(site.url("/a"))
    assert "redirect loop" in got.error and len(site.hits("/a")) == 1


def test_a_redirect_to_another_host_is_not_followed_when_the_rule_says_so(site):
    other = FakeSite({"/x": Resp(b"elsewhere")}).start()
    try:
        site.routes["/away"] = Resp(status=302, headers={"Location": other.url("/x")})
        got = local_fetcher(FAST).get(site.url("/away"), allow_host=lambda u: u.startswith(site.base))
        assert "off-site" in got.error and other.hits() == []
    finally:
        other.stop()


def test_robots_txt_disallow_is_obeyed_without_a_request(site):
    site.routes["/private/report.html"] = Resp(b"secret")
    got = local_fetcher(FAST).get(site.url("/private/report.html"))
    assert got.robots_blocked and site.hits("/private/report.html") == []
    assert len(site.hits("/robots.txt")) == 1


def test_robots_txt_5xx_means_nothing_is_fetched_this_run():
    s = FakeSite({"/robots.txt": Resp(b"", status=503), "/a": Resp(b"a")}).start()
    try:
        got = local_fetcher(FAST.with_(retries=0)).get(s.url("/a"))
        assert got.robots_blocked and s.hits("/a") == []
    finally:
        s.stop()


def test_conditional_requests_send_the_validators(site):
    site.routes["/doc"] = Resp(b"body", etag='"v1"', last_modified="Mon, 05 Feb 2024 08:00:00 GMT")
    fetcher = local_fetcher(FAST)
    first = fetcher.get(site.url("/doc"))
    again = fetcher.get(site.url("/doc"), etag=first.header("etag"), last_modified=first.header("last-modified"))
    assert first.ok and again.not_modified and again.body is None
    assert site.hits("/doc")[1].headers["if-none-match"] == '"v1"'
    assert site.hits("/doc")[1].headers["if-modified-since"] == "Mon, 05 Feb 2024 08:00:00 GMT"


def test_requests_to_one_host_are_spaced_and_never_overlap(site):
    site.routes.update({f"/p{i}": Resp(b"p", stall=0.05) for i in range(6)})
    fetcher = local_fetcher(FAST.with_(delay=0.15))
    threads = [threading.Thread(target=fetcher.get, args=(site.url(f"/p{i}"),)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    times = sorted(h.at for h in site.hits() if h.path.startswith("/p"))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 6 and min(gaps) >= 0.15 + 0.05 - 0.01  # delay after the previous answer


def test_crawl_delay_from_robots_txt_is_honoured():
    s = FakeSite({"/robots.txt": Resp(b"User-agent: *\nCrawl-delay: 0.3\n"), "/a": Resp(b"a"),
                  "/b": Resp(b"b")}).start()
    try:
        fetcher = local_fetcher(FAST)
        fetcher.get(s.url("/a"))
        fetcher.get(s.url("/b"))
        assert s.hits("/b")[0].at - s.hits("/a")[0].at >= 0.29
    finally:
        s.stop()


def test_different_hosts_are_fetched_in_parallel():
    sites = [FakeSite({"/robots.txt": Resp(b""), "/slow": Resp(b"s", stall=0.4)}).start() for _ in range(3)]
    try:
        fetcher = local_fetcher(FAST.with_(read_timeout=2))
        started = time.monotonic()
        threads = [threading.Thread(target=fetcher.get, args=(s.url("/slow"),)) for s in sites]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert time.monotonic() - started < 1.0  # not 3 × 0.4 s one after the other
        assert all(len(s.hits("/slow")) == 1 for s in sites)
    finally:
        for s in sites:
            s.stop()


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
