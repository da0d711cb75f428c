"""A fake old host for import tests: real HTTP on 127.0.0.1, serving feeds, images and sizes.

Every absolute URL of a served feed is rewritten to point here (`/h/<host>/<path>`), so an
import reaches nothing but this server. HEAD answers any path with a size derived from it
(optionally after a delay, as a slow host would); GET answers with one real JPEG.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

_URL = re.compile(rb"""(xmlns(?::[\w-]+)?=["'])?https?://""")


def size_of(path: str) -> int:
    """The size this host gives `path` on HEAD."""
    return 100_000 + int(hashlib.sha256(path.encode()).hexdigest()[:6], 16)


@dataclass
class OldHost:
    base: str
    feeds: dict[str, bytes] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # paths answered with 404
    flaky: set[str] = field(default_factory=set)  # paths answered 503 the first time
    heads: list[str] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)

    def serve(self, name: str, xml: bytes) -> str:
        """Serve `xml` as /feed/<name> with its URLs pointing here; return its URL."""
        local = self.base.encode() + b"h/"
        self.feeds[name] = _URL.sub(lambda m: m.group(0) if m.group(1) else local, xml)
        return f"{self.base}feed/{name}"


@contextmanager
def old_host(image: bytes, *, delay: float = 0.0) -> Iterator[OldHost]:
    """Run the fake host until the block ends."""
    host = OldHost("")

    @Request.application
    def app(request: Request) -> Response:
        path = request.path
        if path.startswith("/feed/") and path[6:] in host.feeds:
            return Response(host.feeds[path[6:]], content_type="application/rss+xml")
        if delay:
            time.sleep(delay)
        if path in host.missing:
            return Response("gone", status=404)
        if path in host.flaky:
            host.flaky.discard(path)
            return Response("busy", status=503)
        if request.method == "HEAD":
            host.heads.append(path)
            response = Response(b"", content_type="audio/mpeg")
            response.headers["Content-Length"] = str(size_of(path))
            return response
        host.gets.append(path)
        return Response(image, content_type="image/jpeg")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host.base = f"http://127.0.0.1:{server.server_port}/"
    try:
        yield host
    finally:
        server.shutdown()
        thread.join()
