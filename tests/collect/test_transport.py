"""What lies under a request, against real servers on 127.0.0.1: deadlines that hold against a
server dripping its headers, proxies (from the environment and --proxy, no_proxy), TLS trust per
site, the private-address rule, robots.txt redirects kept on the site, failure classes."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from pipeline.collect.crawl import CrawlOptions, Site, crawl_sites
from pipeline.collect.fetch import Fetcher, FetchOptions
from pipeline.collect.transport import AddressRule, classify, proxies_for
from tests.sites.fakeweb import FakeSite, Resp, html, links

FAST = FetchOptions(user_agent="nianbao-test/0 (contact: tests@example.invalid)", delay=0.02,
                    connect_timeout=1, read_timeout=0.5, deadline=5, max_bytes=50_000, retries=0,
                    backoff=0.05, max_backoff=0.2, max_retry_after=3)


def local_fetcher(options: FetchOptions = FAST, **kwargs) -> Fetcher:
    addresses = AddressRule()
    addresses.permit_hosts_of(["http://127.0.0.1/"])
    return Fetcher(options, addresses=addresses, **kwargs)


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- deadlines -----------------------------------------------------------------------------------------


def test_a_server_dripping_its_headers_is_abandoned_at_the_read_timeout(servers):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/drip": Resp(drip_headers=0.05)}))
    started = time.monotonic()
    got = local_fetcher(FAST.with_(read_timeout=0.6)).get(site.url("/drip"))
    took = time.monotonic() - started
    assert got.body is None and got.error_class == "timeout" and "headers" in got.error
    assert 0.5 < took < 2.5  # each byte came within the read timeout; the headers as a whole did not


def test_the_request_deadline_covers_headers_and_body(servers):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/drip": Resp(drip_headers=0.05),
                             "/slowbody": Resp(b"x" * 4000, trickle=0.05)}))
    fetcher = local_fetcher(FAST.with_(read_timeout=30, deadline=0.8))
    for path in ("/drip", "/slowbody"):
        started = time.monotonic()
        got = fetcher.get(site.url(path))
        assert got.error_class == "timeout" and "deadline" in got.error, got.error
        assert time.monotonic() - started < 2.5


def test_a_fast_answer_is_not_cut_by_the_watchdog(servers):
    site = servers(FakeSite({"/robots.txt": Resp(b""), **{f"/p{i}": Resp(b"ok" * 100) for i in range(5)}}))
    fetcher = local_fetcher(FAST.with_(read_timeout=0.3, deadline=0.5))
    results = [fetcher.get(site.url(f"/p{i}")) for i in range(5)]
    time.sleep(0.6)  # any timer left armed would now shut a pooled connection
    again = fetcher.get(site.url("/p0"))
    assert all(r.ok for r in results) and again.ok


# --- proxies -------------------------------------------------------------------------------------------


class ForwardingProxy:
    """A plain HTTP forwarding proxy on 127.0.0.1 that logs the absolute URLs it is asked for."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                proxy.seen.append(self.path)
                target = urlsplit(self.path)
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")}
                conn.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy():
    p = ForwardingProxy()
    yield p
    p.stop()


def test_a_proxy_from_the_environment_carries_the_requests(servers, proxy, no_proxy_env):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/a": Resp(b"through the proxy")}))
    no_proxy_env.setenv("http_proxy", proxy.url)
    got = local_fetcher().get(site.url("/a"))
    assert got.ok and got.body == b"through the proxy"
    assert site.url("/a") in proxy.seen and site.url("/robots.txt") in proxy.seen


def test_no_proxy_sends_those_hosts_direct(servers, proxy, no_proxy_env):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/a": Resp(b"direct")}))
    no_proxy_env.setenv("http_proxy", proxy.url)
    no_proxy_env.setenv("no_proxy", "127.0.0.1")
    assert local_fetcher().get(site.url("/a")).ok and proxy.seen == []
    assert proxies_for(site.url("/a"), proxy.url) == {}  # no_proxy beats --proxy too


def test_the_proxy_option_wins_over_the_environment(servers, proxy, no_proxy_env):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/a": Resp(b"ok")}))
    no_proxy_env.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    got = local_fetcher(FAST.with_(proxy=proxy.url)).get(site.url("/a"))
    assert got.ok and site.url("/a") in proxy.seen


def test_without_any_proxy_requests_go_direct(servers, no_proxy_env):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/a": Resp(b"ok")}))
    assert proxies_for(site.url("/a")) == {}
    assert local_fetcher().get(site.url("/a")).ok


# --- TLS -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A certificate for 127.0.0.1 signed by nobody anyone trusts, and its key (PEM files)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "示范市 test site")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_an_untrusted_certificate_fails_as_tls_unless_the_site_says_otherwise(servers, self_signed, tmp_path,
                                                                           no_proxy_env):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/a": Resp(b"secure")}, tls=self_signed))
    default = local_fetcher().get(site.url("/a"))
    assert default.error_class == "tls" and "certificate" in default.error.lower()

    with_bundle = local_fetcher(FAST.with_(ca_bundle=self_signed[0])).get(site.url("/a"))
    assert with_bundle.ok and with_bundle.body == b"secure"

    page = html("年报", links(("/a.pdf", "2023年政府信息公开工作年度报告")))
    site.routes.update({"/": Resp(page), "/a.pdf": Resp(b"%PDF-1.4 report", content_type="application/pdf")})
    options = CrawlOptions(fetch=FAST, max_depth=2, workers=1)
    unverified = crawl_sites([Site("示范市", (site.url("/"),), options=(("verify", "false"),))], tmp_path / "a",
                             options)
    bundled = crawl_sites([Site("示范市", (site.url("/"),), options=(("ca_bundle", self_signed[0]),))],
                          tmp_path / "b", options)
    refused = crawl_sites([Site("示范市", (site.url("/"),))], tmp_path / "c", options)
    assert unverified.new_documents == bundled.new_documents == 1
    assert refused.sites_failed == 1 and refused.new_documents == 0


# --- addresses and robots.txt --------------------------------------------------------------------------


def test_private_loopback_and_link_local_addresses_are_refused_unless_a_start_url_is_there():
    rule = AddressRule()
    for url in ("http://127.0.0.1/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/", "http://192.168.0.1/", "http://[::ffff:127.0.0.1]/"):
        assert rule.refusal(url) is not None, url
    assert "link-local" in rule.refusal("http://169.254.169.254/")
    assert rule.refusal("http://8.8.8.8/") is None
    rule.permit_hosts_of(["http://127.0.0.1:8080/start"])
    assert rule.refusal("http://127.0.0.1:9999/") is None and rule.refusal("http://10.1.2.3/") is not None


def test_a_name_resolving_to_a_private_address_is_refused():
    rule = AddressRule(resolve=lambda host, port, proto=0: [(2, 1, 6, "", ("10.0.0.7", 0))])
    assert "10.0.0.7" in rule.refusal("http://intranet.example.gov.cn/")


def test_a_redirect_to_a_link_local_address_is_never_requested(servers):
    site = servers(FakeSite({"/robots.txt": Resp(b""),
                             "/r": Resp(status=302, headers={"Location": "http://169.254.169.254/latest/"})}))
    started = time.monotonic()
    got = local_fetcher().get(site.url("/r"))
    assert got.error_class == "private" and "169.254.169.254" in got.error and time.monotonic() - started < 1


def test_a_robots_txt_redirect_to_another_host_is_not_followed(servers):
    other = servers(FakeSite({"/robots.txt": Resp(b"User-agent: *\nDisallow: /\n")}))
    site = servers(FakeSite({"/robots.txt": Resp(status=301, headers={"Location": other.url("/robots.txt")}),
                             "/a": Resp(b"ok")}))
    got = local_fetcher().get(site.url("/a"), allow_host=lambda u: u.startswith(site.base))
    assert got.ok and other.hits() == []  # not followed; robots.txt counted as unavailable


def test_a_robots_txt_redirect_to_a_private_address_is_not_followed(servers):
    site = servers(FakeSite({"/robots.txt": Resp(status=302, headers={"Location": "http://10.0.0.1/robots.txt"}),
                             "/a": Resp(b"ok")}))
    got = local_fetcher().get(site.url("/a"))
    assert got.ok


def test_a_robots_txt_redirect_on_the_site_is_followed(servers):
    site = servers(FakeSite({"/robots.txt": Resp(status=301, headers={"Location": "/real-robots.txt"}),
                             "/real-robots.txt": Resp(b"User-agent: *\nDisallow: /private/\n"),
                             "/private/a": Resp(b"no")}))
    got = local_fetcher().get(site.url("/private/a"), allow_host=lambda u: u.startswith(site.base))
    assert got.robots_blocked and site.hits("/private/a") == []


# --- failure classes ------------------------------------------------------------------------------------


def test_failures_are_classed(servers):
    site = servers(FakeSite({"/robots.txt": Resp(b""), "/gone": Resp(b"", status=404),
                             "/down": Resp(b"", status=503)}))
    fetcher = local_fetcher()
    assert fetcher.get(site.url("/gone")).error_class == "http-4xx"
    assert fetcher.get(site.url("/down")).error_class == "http-5xx"
    closed = FakeSite()
    port = closed.server.server_address[1]
    closed.server.server_close()  # nothing listens on that port now
    refused = fetcher.get(f"http://127.0.0.1:{port}/")
    assert refused.error_class == "refused" and "refused" in refused.error


def test_dns_failures_are_classed_without_the_network():
    import socket

    import requests

    error = requests.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert classify(error) == "dns"


def test_long_error_messages_are_kept_whole(servers):
    long_path = "/" + "很长的路径" * 60
    site = servers(FakeSite({"/robots.txt": Resp(b"")}))
    got = local_fetcher().get(site.url(long_path))
    assert got.error_class == "http-4xx" and got.url.endswith("很长的路径")
    bad = local_fetcher().get("http://127.0.0.1:1/" + "x" * 400)
    assert bad.error.startswith("http://127.0.0.1:1/" + "x" * 400)  # the URL and reason in full
