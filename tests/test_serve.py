"""`showpipe serve` over real HTTP: Range requests answered 206, as podcast apps need."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from showpipe.serve import make_app


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "public"
    (folder / "feeds").mkdir(parents=True)
    (folder / "feeds" / "show.xml").write_bytes(b"<rss/>")
    (folder / "ep.mp3").write_bytes(bytes(range(256)) * 10)
    server = make_server("127.0.0.1", 0, make_app(folder), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", folder
    server.shutdown()
    thread.join()


def test_range_request_is_answered_206_with_the_exact_bytes(served: tuple[str, Path]) -> None:
    base, folder = served
    response = requests.get(base + "ep.mp3", headers={"Range": "bytes=0-1"}, timeout=5)
    assert response.status_code == 206
    assert response.content == b"\x00\x01"
    assert response.headers["Content-Range"] == "bytes 0-1/2560"
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_head_and_feed_content_type(served: tuple[str, Path]) -> None:
    base, _ = served
    head = requests.head(base + "ep.mp3", timeout=5)
    assert head.status_code == 200 and head.headers["Content-Length"] == "2560"
    feed = requests.get(base + "feeds/show.xml", timeout=5)
    assert feed.headers["Content-Type"].startswith("application/rss+xml")


def test_missing_file_and_escape_are_404(served: tuple[str, Path]) -> None:
    base, _ = served
    assert requests.get(base + "nope.mp3", timeout=5).status_code == 404
    assert requests.get(base + "../../etc/passwd", timeout=5).status_code == 404
