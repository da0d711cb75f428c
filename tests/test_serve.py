"""`showpipe serve` over real HTTP: Range requests answered 206, as podcast apps need."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

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


@pytest.fixture
def hostile_base(tmp_path: Path, http_server: Callable[..., str]) -> str:
    """A served folder holding what must never be served: links out, showpipe's files."""
    folder = tmp_path / "public"
    (folder / "showpipe").mkdir(parents=True)
    (folder / "ep.mp3").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "secret.txt").write_text("outside the served folder")
    (folder / "out.mp3").symlink_to(tmp_path / "secret.txt")
    (folder / "etc").symlink_to(tmp_path, target_is_directory=True)
    (folder / ".showpipe-write.lock").write_text("")
    (folder / ".ep.mp3.a1b2c3").write_text("a temp file of a write in progress")
    (folder / "showpipe" / "lease.json").write_text('{"host": "cron-box"}')
    (folder / "showpipe" / "manifest.json").write_text("{}")
    (folder / "showpipe" / "site.json").write_text("{}")
    return http_server(folder)


# (id, method, path, request headers, status, what the body must then be)
HOSTILE_REQUESTS: list[tuple[str, str, str, dict[str, str], int, bytes | None]] = [
    ("symlink-out", "GET", "out.mp3", {}, 404, None),
    ("symlinked-folder", "GET", "etc/secret.txt", {}, 404, None),
    ("write-lock", "GET", ".showpipe-write.lock", {}, 404, None),
    ("temp-file", "GET", ".ep.mp3.a1b2c3", {}, 404, None),
    ("lease", "GET", "showpipe/lease.json", {}, 404, None),
    ("manifest", "GET", "showpipe/manifest.json", {}, 404, None),
    ("page-index", "GET", "showpipe/site.json", {}, 404, None),
    ("dot-segments", "GET", "showpipe/x/../lease.json", {}, 404, None),
    ("put", "PUT", "ep.mp3", {}, 405, None),
    ("post", "POST", "ep.mp3", {}, 405, None),
    ("delete", "DELETE", "ep.mp3", {}, 405, None),
    ("multi-range", "GET", "ep.mp3", {"Range": "bytes=0-0,5-9"}, 200, bytes(range(256)) * 10),
    ("unknown-unit", "GET", "ep.mp3", {"Range": "items=0-1"}, 200, bytes(range(256)) * 10),
    ("bad-range", "GET", "ep.mp3", {"Range": "bytes=9-2"}, 200, bytes(range(256)) * 10),
    ("one-range", "GET", "ep.mp3", {"Range": "bytes=5-9"}, 206, bytes(range(5, 10))),
    ("past-the-end", "GET", "ep.mp3", {"Range": "bytes=9000-9001"}, 416, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "body"),
    [h[1:] for h in HOSTILE_REQUESTS],
    ids=[h[0] for h in HOSTILE_REQUESTS],
)
def test_hostile_requests_get_no_file_they_should_not(
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    body: bytes | None,
    hostile_base: str,
    tmp_path: Path,
) -> None:
    response = requests.request(method, hostile_base + path, headers=headers, timeout=5)
    assert response.status_code == status
    if body is not None:
        assert response.content == body
    assert (
        b"outside the served folder" not in response.content and b"cron-box" not in response.content
    )
    if status == 405:
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert (tmp_path / "public" / "ep.mp3").read_bytes() == bytes(range(256)) * 10


def test_one_date_header(hostile_base: str) -> None:
    connection = http.client.HTTPConnection(urlsplit(hostile_base).netloc, timeout=5)
    connection.request("GET", "/ep.mp3")
    response = connection.getresponse()
    response.read()
    assert [name for name, _ in response.getheaders()].count("Date") == 1
