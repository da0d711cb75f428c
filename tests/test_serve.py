"""`showpipe serve` over real HTTP: Range requests answered 206, as podcast apps need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests


@pytest.fixture
def base(tmp_path: Path, http_server: Callable[..., str]) -> str:
    folder = tmp_path / "public"
    (folder / "feeds").mkdir(parents=True)
    (folder / "feeds" / "show.xml").write_bytes(b"<rss/>")
    (folder / "ep.mp3").write_bytes(bytes(range(256)) * 10)
    return http_server(folder)


def test_range_request_is_answered_206_with_the_exact_bytes(base: str) -> None:
    response = requests.get(base + "ep.mp3", headers={"Range": "bytes=0-1"}, timeout=5)
    assert response.status_code == 206
    assert response.content == b"\x00\x01"
    assert response.headers["Content-Range"] == "bytes 0-1/2560"
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_head_and_feed_content_type(base: str) -> None:
    head = requests.head(base + "ep.mp3", timeout=5)
    assert head.status_code == 200 and head.headers["Content-Length"] == "2560"
    feed = requests.get(base + "feeds/show.xml", timeout=5)
    assert feed.headers["Content-Type"].startswith("application/rss+xml")


def test_missing_file_and_escape_are_404(base: str) -> None:
    assert requests.get(base + "nope.mp3", timeout=5).status_code == 404
    assert requests.get(base + "../../etc/passwd", timeout=5).status_code == 404
