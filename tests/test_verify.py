"""`showpipe verify` against a real HTTP server: passes on a good publish, names each fault."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result
from werkzeug.middleware.shared_data import SharedDataMiddleware

from sampleshow import publish_sample
from showpipe.checks.verify import verify_show
from showpipe.config import Settings
from showpipe.model.manifest import read_manifest
from showpipe.storage.local import LocalStorage
from showpipe.web.serve import close_when_done

Published = tuple[Settings, LocalStorage, list[str]]


def publish_served(settings: Settings, base: str) -> Published:
    """Publish the sample show to ./public, which a real HTTP server serves at `base`."""
    settings = replace(settings, public_url=base)
    storage = publish_sample(settings)
    return settings, storage, [base + "feeds/show.xml", base + "feeds/videos.xml"]


@pytest.fixture
def published(settings: Settings, http_server: Callable[..., str]) -> Published:
    return publish_served(settings, http_server(settings.root / "public"))


def test_a_good_publish_verifies(published: Published) -> None:
    settings, _, urls = published
    problems, checked = verify_show(urls)
    assert problems == []
    # every file named in a feed, once per feed
    feeds = [
        (settings.root / "public" / "feeds" / f"{n}.xml").read_text() for n in ("show", "videos")
    ]
    named = [
        set(re.findall(r'(?:url|href|uri)="(http://127[^"]+)"', xml)) - set(urls) for xml in feeds
    ]
    assert checked == sum(len(files) for files in named) > 10


def test_each_fault_is_reported(published: Published) -> None:
    _, storage, urls = published
    manifest = read_manifest(storage)
    pilot, on_tools = (manifest.episodes[g] for g in sorted(manifest.episodes) if g[0] in "05")
    (storage.root / pilot.media["audio"].key).unlink()
    video = storage.root / on_tools.media["video"].key
    video.write_bytes(video.read_bytes()[:1000])
    feed = storage.root / "feeds" / "show.xml"
    feed.write_bytes(feed.read_bytes().replace(b'type="audio/mpeg"', b'type="audio/x-m4a"', 1))
    problems, _ = verify_show(urls)
    text = "\n".join(problems)
    assert f"{pilot.media['audio'].key}: enclosure of 'Pilot': missing (HTTP 404)" in text
    # the video is the video feed's enclosure and the audio feed's alternate enclosure
    assert (
        f"enclosure of 'On Tools': feed says {on_tools.media['video'].size} bytes, server has 1000"
        in text
    )
    assert (
        f"alternate enclosure of 'On Tools': feed says {on_tools.media['video'].size} bytes" in text
    )
    assert "enclosure of 'Listener Mail': served as 'audio/mpeg', feed says 'audio/x-m4a'" in text
    assert len(problems) == 4, problems


def test_missing_cors_and_range_support_are_reported(
    settings: Settings, http_server: Callable[..., str]
) -> None:
    def not_found(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("404 Not Found", [])
        return [b""]

    # A plain static server: no CORS headers, no Range support.
    plain = SharedDataMiddleware(not_found, {"/": str(settings.root / "public")})
    app = lambda environ, respond: close_when_done(plain(environ, respond))  # noqa: E731
    _, _, urls = publish_served(settings, http_server(app=app))
    problems, _ = verify_show(urls)
    assert any("no CORS header" in p for p in problems)
    assert any("Range request answered 200, not 206" in p for p in problems)


def test_unreachable_feed_is_one_line(http_server: Callable[..., str], tmp_path: Path) -> None:
    base = http_server(tmp_path)
    assert verify_show([base + "feeds/show.xml"]) == (
        [f"{base}feeds/show.xml: feed answered HTTP 404, not 200"],
        0,
    )


def test_verify_command_exit_codes(published: Published, run: Callable[..., Result]) -> None:
    settings, storage, _ = published
    ok = run("--public-url", settings.public_url, "verify")
    assert ok.exit_code == 0 and re.fullmatch(
        r"ok: 2 feed\(s\), \d+ file\(s\) checked\n", ok.stdout
    )
    (storage.root / "feeds" / "videos.xml").unlink()
    bad = run("--public-url", settings.public_url, "verify")
    assert bad.exit_code == 1
    assert "feeds/videos.xml: feed answered HTTP 404" in bad.stderr
