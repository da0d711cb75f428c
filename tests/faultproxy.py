"""A small fault-injecting HTTP proxy in front of the real S3 test server (loopback only).

Each request is forwarded to the server unless a rule matches it first. A rule matches a
method and a regular expression on the path, fires a bounded number of times, and does one
of: answer with an S3 error (500, 503 SlowDown, or an S3-compatible service's refusals:
checksum headers it does not support, a request signed for the wrong region), reset the
connection, wait before forwarding, or hold the request (never forwarded) until the test
releases it, so that a test can kill the client while the request is held. A rule may also
require a request header whose name matches a regular expression.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from s3server import S3Server

ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
    # What Backblaze B2 and older MinIO and R2 answered to boto3 1.36's CRC headers.
    "reject-checksum": (
        400,
        "InvalidArgument",
        "Unsupported header 'x-amz-sdk-checksum-algorithm' received for this API call.",
    ),
    "wrong-region": (
        400,
        "AuthorizationHeaderMalformed",
        "The authorization header is malformed; the region 'us-east-1' is wrong; "
        "expecting 'eu-central-1'",
    ),
}
# No held request or slow answer outlasts this: a broken test cannot hang the suite.
MAX_WAIT = 20.0


@dataclass
class Rule:
    """Do `action` to the next `times` requests matching `method` and `path` (a regex)."""

    method: str
    path: str
    action: str  # a key of ERRORS, "reset", "slow", "hold"
    times: int = 1
    delay: float = 0.0
    header: str = ""  # if set, only requests with a header whose name matches (regex)
    seen: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str, headers: Iterable[str]) -> bool:
        return (
            self.seen < self.times
            and method == self.method
            and re.search(self.path, path) is not None
            and (not self.header or any(re.search(self.header, h, re.I) for h in headers))
        )


class FaultProxy:
    """The proxy's rules and record of requests; `endpoint` is what clients connect to."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str, str]] = []  # method, path, what happened
        self.bodies: list[tuple[str, str, int]] = []  # method, path, bytes of body received
        self.lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"

    def add(
        self,
        method: str,
        path: str,
        action: str,
        *,
        times: int = 1,
        delay: float = 0.0,
        header: str = "",
    ) -> Rule:
        rule = Rule(method, path, action, times, min(delay, MAX_WAIT), header)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            for rule in self.rules:
                rule.release.set()
            self.rules.clear()
            self.requests.clear()
            self.bodies.clear()

    def take(self, method: str, path: str, headers: Iterable[str]) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path, headers):
                    rule.seen += 1
                    return rule
        return None

    def log(self, method: str, path: str, outcome: str, size: int = 0) -> None:
        with self.lock:
            self.requests.append((method, path, outcome))
            self.bodies.append((method, path, size))


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Print nothing for a handler's error (a client that hung up mid-request): the
        handler threads share sys.stderr with the CLI under test, whose output a test
        reads. The client sees the failed request itself."""


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads proxy.requests instead

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            rule = proxy.take(self.command, self.path, self.headers.keys())
            action = rule.action if rule else "forward"
            proxy.log(self.command, self.path, action, len(body))
            if rule is not None:
                rule.arrived.set()
            if action in ERRORS:
                self._error(action)
            elif action == "reset":
                self._reset()
            elif action == "hold":
                assert rule is not None
                rule.release.wait(MAX_WAIT)
                self._reset()
            else:
                if action == "slow":
                    assert rule is not None
                    time.sleep(rule.delay)
                self._forward(body)

        def _error(self, action: str) -> None:
            status, code, message = ERRORS[action]
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            # SO_LINGER 0: close sends a TCP RST, as a failing load balancer would.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _forward(self, body: bytes) -> None:
            upstream = http.client.HTTPConnection(
                proxy.upstream.hostname, proxy.upstream.port, timeout=MAX_WAIT
            )
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            self.send_response(response.status)
            length = response.getheader("Content-Length") if self.command == "HEAD" else None
            for name, value in response.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", length or str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            upstream.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

    return Handler


@pytest.fixture(scope="session")
def fault_proxy_server(s3_server: S3Server) -> Iterator[FaultProxy]:
    """One proxy for the session, in front of the session's S3 server."""
    proxy = FaultProxy(s3_server.endpoint)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.clear()
    proxy.server.shutdown()
    proxy.server.server_close()
    thread.join()


@pytest.fixture
def fault_proxy(fault_proxy_server: FaultProxy) -> Iterator[FaultProxy]:
    """The session's proxy with no rules; rules a test adds are dropped after it."""
    fault_proxy_server.clear()
    yield fault_proxy_server
    fault_proxy_server.clear()
