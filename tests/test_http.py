"""showpipe's HTTP client: its User-Agent, and a timeout on every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from showpipe import __version__, http


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
