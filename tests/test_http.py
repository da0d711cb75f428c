"""showpipe's HTTP clients: User-Agent, a timeout on every request, the environment's proxies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from showpipe import __version__, http
from showpipe.importer.fetching import Client, fetch, import_session, look_up


class Handler(BaseHTTPRequestHandler):
    agents: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Handler.agents.append(self.headers["User-Agent"])
        if self.path == "/stall":
            time.sleep(2)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the stalled client gave up, as it should

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_requests_name_showpipe_and_the_purpose(server: str) -> None:
    with http.new_session("verify") as session:
        assert session.get(server + "/").text == "ok"
    assert Handler.agents[-1] == f"showpipe/{__version__} (verify)"


def test_a_stalled_host_times_out(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "TIMEOUT", (1, 0.2))
    with http.new_session("test") as session, pytest.raises(requests.Timeout):
        session.get(server + "/stall")


class Recorder(BaseHTTPRequestHandler):
    """Answers everything, and notes the request target: absolute when sent to a proxy."""

    protocol_version = "HTTP/1.1"
    targets: list[str] = []

    def _answer(self, body: bytes) -> None:
        Recorder.targets.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "1234" if self.command == "HEAD" else str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(b"ok")

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A server on loopback standing as the environment's HTTP proxy (loopback exempt)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, url)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1")
    Recorder.targets.clear()
    yield url
    httpd.shutdown()
    httpd.server_close()


def test_the_environment_is_read_per_host_once_and_still_obeyed(proxy: str) -> None:
    """requests' proxy settings are remembered per host: a host the proxy serves goes
    through it every time, an exempt one never does."""
    with http.new_session("test") as session:
        for _ in range(2):
            session.get("http://old-host.invalid/feed.xml")
            session.get(proxy + "/direct")
    assert Recorder.targets == ["http://old-host.invalid/feed.xml", "/direct"] * 2


def test_the_import_client_goes_through_the_same_proxy(proxy: str, tmp_path: Path) -> None:
    client = Client(import_session())
    try:
        assert look_up(client, "http://old-host.invalid/a.mp3").length == 1234
        assert look_up(client, proxy + "/b.mp3").length == 1234
        assert fetch(client, "http://old-host.invalid/c.jpg", "c", tmp_path).relative == "c.jpg"
    finally:
        client.close()
    assert Recorder.targets == [
        "http://old-host.invalid/a.mp3",
        "/b.mp3",
        "http://old-host.invalid/c.jpg",
    ]


class Missing(Recorder):
    """Answers 404 with a page, except for `/found.jpg`, on connections kept open."""

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/found.jpg":
            self._answer(b"jpeg bytes")
            return
        Recorder.targets.append(self.path)
        page = b"<html>not here</html>"
        self.send_response(404)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def test_a_missing_file_is_a_problem_and_the_next_is_fetched(tmp_path: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Missing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    client = Client(import_session())
    try:
        for _ in range(2):
            missing = fetch(client, base + "/gone.jpg", "gone", tmp_path)
            assert missing.relative is None and "HTTP 404" in str(missing.problem)
            found = fetch(client, base + "/found.jpg", "found", tmp_path)
            assert found.relative == "found.jpg", found.problem
            assert (tmp_path / "found.jpg").read_bytes() == b"jpeg bytes"
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def https_host(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A host on 127.0.0.1 that speaks HTTPS with a certificate from a throwaway authority;
    yields its base URL and the authority's certificate (a CA bundle file)."""
    import ssl

    import trustme

    authority = trustme.CA()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    bundle = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(bundle))
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", bundle
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_import_client_speaks_https_and_checks_certificates(
    https_host: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old hosts serve over HTTPS: with the environment's CA bundle (as requests reads it)
    the lookups and downloads go through; a certificate no trusted authority signed is
    refused, not accepted silently."""
    base, bundle = https_host
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    client = Client(import_session())
    try:
        assert look_up(client, base + "/a.mp3").length == 1234
        assert fetch(client, base + "/c.jpg", "c", tmp_path).relative == "c.jpg"
    finally:
        client.close()
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = Client(import_session())
    try:
        refused = fetch(client, base + "/d.jpg", "d", tmp_path)
        assert refused.relative is None and "CERTIFICATE_VERIFY_FAILED" in str(refused.problem)
    finally:
        client.close()
