"""The show page and embed pages: built from the manifest, and played in a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from lxml import html

from sampleshow import NOW, publish_sample
from showpipe.config import Settings
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.storage.local import LocalStorage
from showpipe.web.site import SITE_INDEX_KEY, build_site, write_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def publish_all(settings: Settings) -> LocalStorage:
    """Publish the sample show, then write its site pages as `showpipe publish` does."""
    storage = publish_sample(settings)
    write_site(storage, build_site(load_project(settings), read_manifest(storage), now=NOW))
    return storage


def test_show_page_lists_due_episodes_with_players_and_feed_links(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    make_episode("later", title="<b>Later</b>", published="2027-01-01T00:00:00Z")
    storage = publish_all(settings)
    page = html.fromstring((storage.root / "index.html").read_bytes())
    assert [h.text for h in page.iter("h2")] == ["Listener Mail", "On Tools", "Pilot"]
    alternates = page.xpath('//link[@rel="alternate"][@type="application/rss+xml"]/@href')
    assert alternates == ["feeds/show.xml", "feeds/videos.xml"]
    for src in page.xpath("//audio/@src") + page.xpath("//img/@src") + alternates:
        assert not src.startswith(("http:", "https:", "/")), src
        assert (storage.root / src).is_file(), src
    assert page.xpath('//a[text()="Watch the video"]/@href') == ["embed/on-tools.html"]


def test_titles_are_escaped(settings: Settings, make_episode: Callable[..., Path]) -> None:
    make_episode("xss", title="<script>alert(1)</script>")
    storage = publish_all(settings)
    text = (storage.root / "index.html").read_text()
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_embed_page_links_video_poster_and_captions(settings: Settings) -> None:
    storage = publish_all(settings)
    page = html.fromstring((storage.root / "embed" / "on-tools.html").read_bytes())
    [video] = page.iter("video")
    [track] = video.iter("track")
    assert track.get("kind") == "captions" and track.get("srclang") == "en"
    for src in (video.get("poster"), track.get("src"), video.find("source").get("src")):
        assert src.startswith("../") and (storage.root / "embed" / src).resolve().is_file()
    assert [b.get("data-start") for b in page.xpath("//ol[@class='chapters']//button")] == [
        "0.0",
        "5.0",
        "9.0",
    ]


def test_unchanged_site_is_not_rewritten(settings: Settings) -> None:
    storage = publish_all(settings)
    pages = build_site(load_project(settings), read_manifest(storage), now=NOW)
    assert write_site(storage, pages) == []


def test_publish_rebuilds_a_stale_site_as_a_fresh_build_makes_it(
    run: Callable[..., Result], project: Path, settings: Settings
) -> None:
    assert run("publish", "episodes/on-tools.yaml").exit_code == 0
    public = project / "public"
    # a site never written (a show published before it had pages): no feed changes now
    (public / "index.html").unlink()
    (public / SITE_INDEX_KEY).unlink()
    result = run("publish", "episodes/on-tools.yaml")
    assert result.exit_code == 0, result.output
    assert "(unchanged)" in result.stdout
    # every page is back, byte for byte what a fresh build makes, and recorded as written
    storage = LocalStorage(public)
    pages = build_site(load_project(settings), read_manifest(storage), now=NOW)
    assert [p.key for p in pages if p.html and (public / p.key).read_bytes() != p.html] == []
    assert write_site(storage, pages) == []


def test_embed_command_prints_the_iframe(run: Callable[..., Result]) -> None:
    assert run("publish", "episodes/on-tools.yaml").exit_code == 0
    result = run("embed", "episodes/on-tools.yaml")
    assert result.exit_code == 0
    assert result.stdout.startswith('<iframe src="http://localhost:8000/embed/on-tools.html"')
    assert run("embed", "episodes/pilot.yaml").exit_code == 1


# --- in a real browser --------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield browser
        browser.close()


@pytest.fixture
def served_site(settings: Settings, showpipe_serve: Callable[[Path], str]) -> str:
    """The published sample, served by the real `showpipe serve` command."""
    publish_all(settings)
    return showpipe_serve(settings.root)


def test_embed_page_plays_in_chromium(browser, served_site: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(served_site + "embed/on-tools.html")
        player = "document.getElementById('player')"
        page.wait_for_function(f"{player}.readyState >= 1", timeout=15000)
        assert page.evaluate(f"{player}.duration") == pytest.approx(12, abs=0.5)
        page.wait_for_function(f"({player}.textTracks[0].cues || []).length > 0", timeout=15000)
        assert (
            page.evaluate(f"{player}.textTracks[0].cues[1].text")
            == "<v Grace Hopper>Today: microphones."
        )
        page.get_by_role("button", name="0:09The pipeline").click()
        page.wait_for_function(f"{player}.currentTime >= 9", timeout=5000)
    finally:
        page.close()


def test_show_page_chapter_seeks_its_audio_player(browser, served_site: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(served_site)
        player = "document.getElementById('player-pilot')"
        assert page.evaluate(f"{player}.currentTime") == 0
        page.locator("#pilot").get_by_role("button", name="0:08Why this show").click()
        page.wait_for_function(f"{player}.currentTime >= 8", timeout=10000)
        # the other episodes' players stay where they were
        assert page.evaluate("document.getElementById('player-on-tools').currentTime") == 0
    finally:
        page.close()


def test_the_show_page_follows_publish_and_unpublish(
    run: Callable[..., Result], project: Path, make_episode: Callable[..., Path]
) -> None:
    def titles() -> list[str]:
        page = html.fromstring((project / "public" / "index.html").read_bytes())
        return [h.text for h in page.iter("h2")]

    make_episode("fresh", guid=None, title="Fresh", published="2026-11-25T09:00:00Z")
    assert (
        run("publish", *(str(p) for p in sorted((project / "episodes").glob("*.yaml")))).exit_code
        == 0
    )
    assert titles() == ["Fresh", "Listener Mail", "On Tools", "Pilot"]
    assert run("unpublish", "episodes/pilot.yaml").exit_code == 0
    assert titles() == ["Fresh", "Listener Mail", "On Tools"]


def test_the_show_page_plays_the_newest_episodes_and_points_at_the_feeds_for_the_rest(
    settings: Settings, make_episode: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import showpipe.web.site

    monkeypatch.setattr(showpipe.web.site, "INDEX_EPISODES", 2)
    storage = publish_all(settings)
    page = html.fromstring((storage.root / "index.html").read_bytes())
    assert [h.text for h in page.iter("h2")] == ["Listener Mail", "On Tools"]
    assert "1 earlier episode: subscribe to a feed above" in page.text_content()
