"""`showpipe serve` over real HTTP: Range requests answered 206, as podcast apps need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from click.testing import Result


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


def test_the_serve_command_answers_range_requests(
    project: Path, showpipe_serve: Callable[[Path], str]
) -> None:
    (project / "public").mkdir()
    (project / "public" / "a.mp3").write_bytes(b"0123456789")
    base = showpipe_serve(project)
    response = requests.get(base + "a.mp3", headers={"Range": "bytes=2-4"}, timeout=5)
    assert (response.status_code, response.content) == (206, b"234")


def test_serve_needs_a_local_folder(run: Callable[..., Result]) -> None:
    result = run("serve")
    assert result.exit_code == 1 and "no such folder; publish something first" in result.stderr
    result = run("--storage", "s3://bucket/show", "serve")
    assert result.exit_code == 1 and "serve serves a local folder" in result.stderr
