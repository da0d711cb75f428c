"""The show page and embed pages: built from the manifest, and played in a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from lxml import etree, html

from sampleshow import NOW, publish_sample
from showpipe import parallel
from showpipe.config import Settings
from showpipe.feeds import file_urls
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.storage.local import LocalStorage
from showpipe.web import site
from showpipe.web.site import SITE_INDEX_KEY, build_site, damaged_entries, write_site
from showpipe.web.transcript import Cue, parse_cues

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
    assert page.xpath("//article/h3/a/text()") == ["Listener Mail", "On Tools", "Pilot"]
    assert page.xpath("//article/h3/a/@href") == [
        "episodes/listener-mail.html",
        "episodes/on-tools.html",
        "episodes/pilot.html",
    ]
    alternates = page.xpath('//link[@rel="alternate"][@type="application/rss+xml"]/@href')
    assert alternates == ["feeds/show.xml", "feeds/videos.xml"]
    # the video episode plays its video on the show page, the others their audio
    assert page.xpath("//video/@id") == ["player-on-tools"]
    assert page.xpath("//audio/@id") == ["player-listener-mail", "player-pilot"]


def test_every_relative_link_of_every_page_resolves_in_the_storage(settings: Settings) -> None:
    storage = publish_all(settings)
    pages = sorted(storage.root.glob("**/*.html"))
    assert len(pages) == 3 * 2 + 4  # episode pages and embeds; show, archive, its index, 404
    for path in pages:
        if path.name == "404.html":
            continue  # served at any path, so its links are absolute
        page = html.fromstring(path.read_bytes())
        for url in page.xpath("//@src | //@href | //@poster"):
            if url.startswith(("https://", "http://")):
                # only links out (people, directories) and card/oEmbed URLs are absolute
                assert (
                    not url.startswith("http://localhost:8000/") or path.parent.name == "episodes"
                )
                continue
            if url.startswith("#"):
                continue  # the skip link
            assert not url.startswith("/"), (path, url)
            assert (path.parent / url.split("#")[0]).resolve().is_file(), (path, url)


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
    assert [
        b.get("data-start") for b in page.xpath("//ol[contains(@class,'chapters')]//button")
    ] == [
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
    [iframe] = html.fragment_fromstring(result.stdout).iter("iframe")
    assert iframe.get("src") == "http://localhost:8000/embed/on-tools.html"
    assert iframe.get("title") == "Player: On Tools"
    # responsive: full width at 16:9, no fixed box
    assert iframe.get("width") is None and iframe.get("height") is None
    assert "width:100%" in iframe.get("style") and "aspect-ratio:640/360" in iframe.get("style")
    # an audio episode has its compact player too, once published
    assert run("embed", "episodes/pilot.yaml").exit_code == 1
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    audio = run("embed", "episodes/pilot.yaml")
    assert 'src="http://localhost:8000/embed/pilot.html"' in audio.stdout


def test_a_tampered_site_index_deletes_nothing_but_pages(
    run: Callable[..., Result], project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    public = project / "public"
    index = json.loads((public / SITE_INDEX_KEY).read_text())
    [mp3] = [p.relative_to(public).as_posix() for p in (public / "media").glob("pilot-*.mp3")]
    victims = ["showpipe/manifest.json", "feeds/show.xml", mp3, "episodes/../feeds/show.xml"]
    for key in victims:
        index["pages"][key] = {"source": "x", "digest": "x"}
    index["pages"]["embed/gone.html"] = {"source": "x", "digest": "x"}
    (public / "embed" / "gone.html").write_text("an embed of an episode taken down")
    (public / SITE_INDEX_KEY).write_text(json.dumps(index))
    result = run("site")
    assert result.exit_code == 0, result.output
    for key in victims[:3]:
        assert (public / key).is_file(), key
    assert not (public / "embed" / "gone.html").exists()  # a page of ours: deleted
    reported = " ".join(caplog.messages)
    assert all(repr(key) in reported for key in victims), reported
    assert damaged_entries(LocalStorage(public)) == []  # the index was rewritten without them


def test_editing_one_episode_rewrites_only_the_pages_that_show_it(
    settings: Settings, make_episode: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "INDEX_EPISODES", 2)
    monkeypatch.setattr(site, "ARCHIVE_PAGE_SIZE", 3)
    for day in range(1, 8):  # 7 more: 10 episodes, archive pages of 3, 3, 3 and 1
        make_episode(f"e{day}", published=f"2026-10-0{day}T10:00:00Z")
    storage = publish_all(settings)
    # newest first: listener-mail on-tools pilot e7 e6 e5 e4 e3 e2 e1; oldest-first pages
    make_episode("e5", published="2026-10-05T10:00:00Z", title="Edited")
    pages = build_site(load_project(settings), read_manifest(storage), now=NOW)
    assert sorted(write_site(storage, pages)) == [
        "archive/2.html",  # e4 e5 e6
        "embed/e5.html",
        "episodes/e4.html",  # its neighbours name it
        "episodes/e5.html",
        "episodes/e6.html",
        "oembed/e5.json",
    ]
    pages = build_site(load_project(settings), read_manifest(storage), now=NOW)
    assert write_site(storage, pages) == []


def test_the_archive_reaches_every_episode_and_the_sitemap_lists_every_page(
    settings: Settings, make_episode: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "INDEX_EPISODES", 1)
    monkeypatch.setattr(site, "ARCHIVE_PAGE_SIZE", 2)
    for day in range(1, 6):
        make_episode(f"e{day}", published=f"2026-10-0{day}T10:00:00Z")
    storage = publish_all(settings)
    # follow links from the show page, as a crawler would
    seen, todo = set(), [storage.root / "index.html"]
    while todo:
        path = todo.pop().resolve()
        if path in seen or path.suffix != ".html" or "embed" in path.parts:
            continue
        seen.add(path)
        for url in html.fromstring(path.read_bytes()).xpath("//a/@href"):
            if not url.startswith(("http:", "https:")):
                todo.append(path.parent / url)
    reached = {p.stem for p in seen if p.parent.name == "episodes"}
    assert reached == {"pilot", "on-tools", "listener-mail"} | {f"e{d}" for d in range(1, 6)}
    sitemap = etree.fromstring((storage.root / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    listed = {
        u.removeprefix("http://localhost:8000/")
        for u in sitemap.xpath("//s:loc/text()", namespaces=ns)
    }
    readable = {p.relative_to(storage.root.resolve()).as_posix() for p in seen}
    assert listed == readable
    robots = (storage.root / "robots.txt").read_text()
    assert "Sitemap: http://localhost:8000/sitemap.xml" in robots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "WEBVTT\n\nNOTE a note\n\n1\n00:00:01.500 --> 00:00:03.000 align:start\n"
            "<v Ada Lovelace>Hello <b>there</b>\nand welcome\n\n"
            "01:02:03.000 --> 01:02:04.000\nbye\n",
            [Cue(1.5, "Hello there and welcome", "Ada Lovelace"), Cue(3723.0, "bye")],
        ),
        (
            "1\r\n00:00:02,000 --> 00:00:04,000\r\nGrace: hi &amp; bye\r\n\r\n"
            "2\r\n00:00:05,250 --> 00:00:06,000\r\n\r\n",
            [Cue(2.0, "Grace: hi & bye")],
        ),
    ],
)
def test_transcripts_are_read_from_webvtt_and_srt(text: str, expected: list[Cue]) -> None:
    assert parse_cues(text) == expected


def test_episode_link_and_directory_ids_reach_the_feed_and_the_show_page(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    import feedparser

    make_episode("linked", link="https://blog.example.com/linked")
    feed_yaml = settings.feeds_dir / "show.yaml"
    feed_yaml.write_text(
        feed_yaml.read_text()
        + "directories:\n  apple_podcasts: 1234567890\n  spotify: 0123456789abcdefABCDEF\n"
    )
    storage = publish_all(settings)
    parsed = feedparser.parse((storage.root / "feeds" / "show.xml").read_bytes())
    links = {e.title: e.get("link") for e in parsed.entries}
    assert links["Episode linked"] == "https://blog.example.com/linked"
    page = html.fromstring((storage.root / "index.html").read_bytes())
    subscribe = dict(
        zip(page.xpath("//nav//li/a/text()"), page.xpath("//nav//li/a/@href"), strict=True)
    )
    assert subscribe["Apple Podcasts"] == "https://podcasts.apple.com/podcast/id1234567890"
    assert subscribe["Spotify"] == "https://open.spotify.com/show/0123456789abcdefABCDEF"
    assert subscribe["Overcast"] == "https://overcast.fm/itunes1234567890"
    assert subscribe["AntennaPod"].endswith("url=http%3A%2F%2Flocalhost%3A8000%2Ffeeds%2Fshow.xml")
    assert "Pocket Casts" not in subscribe


def test_the_transcript_is_shown_as_timed_lines(settings: Settings) -> None:
    storage = publish_all(settings)
    page = html.fromstring((storage.root / "episodes" / "on-tools.html").read_bytes())
    starts = page.xpath("//ol[contains(@class,'transcript')]//button/@data-start")
    assert starts == ["0.0", "5.0", "9.0"]
    assert "Grace Hopper: Today: microphones." in " ".join(
        " ".join(li.text_content().split())
        for li in page.xpath("//ol[contains(@class,'transcript')]/li")
    )


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
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield browser
        browser.close()


@pytest.fixture
def served_site(settings: Settings, showpipe_serve: Callable[[Path], str]) -> str:
    """The published sample, served by the real `showpipe serve` command, its pages built
    for the URL it is served at (link cards and oEmbed carry absolute URLs)."""
    storage = publish_sample(settings)
    url = showpipe_serve(settings.root)
    served = dataclasses.replace(settings, public_url=url)
    write_site(storage, build_site(load_project(served), read_manifest(storage), now=NOW))
    return url


PLAYER = "document.getElementById('player')"


def wait_playable(page: Any, player: str = PLAYER) -> None:
    page.wait_for_function(f"{player}.readyState >= 1", timeout=15000)
    assert page.evaluate(f"{player}.duration") > 1


def test_every_episode_page_and_embed_plays_and_its_chapters_seek(
    browser, served_site: str
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        for slug, chapter, at in [
            ("on-tools", "0:09The pipeline", 9),
            ("pilot", "0:08Why this show", 8),
            ("listener-mail", None, 0),
        ]:
            for kind in ("episodes", "embed"):
                page.goto(f"{served_site}{kind}/{slug}.html")
                wait_playable(page)
                page.evaluate(f"{PLAYER}.play()")
                page.wait_for_function(f"{PLAYER}.currentTime > 0", timeout=10000)
                if chapter is None:
                    continue
                if kind == "embed" and slug == "on-tools":
                    page.get_by_text("Chapters").click()  # the video embed folds them away
                page.get_by_role("button", name=chapter).click()
                page.wait_for_function(f"{PLAYER}.currentTime >= {at}", timeout=10000)
    finally:
        page.close()


def test_the_video_embed_has_its_captions(browser, served_site: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(served_site + "embed/on-tools.html")
        wait_playable(page)
        page.wait_for_function(f"({PLAYER}.textTracks[0].cues || []).length > 0", timeout=15000)
        assert (
            page.evaluate(f"{PLAYER}.textTracks[0].cues[1].text")
            == "<v Grace Hopper>Today: microphones."
        )
    finally:
        page.close()


def test_transcript_lines_and_chapters_seek_from_the_keyboard(browser, served_site: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(served_site + "episodes/on-tools.html")
        wait_playable(page)
        page.get_by_role("button", name="Play from 0:05").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(f"{PLAYER}.currentTime >= 5", timeout=10000)
        page.get_by_role("button", name="0:09The pipeline").focus()
        page.keyboard.press("Space")
        page.wait_for_function(f"{PLAYER}.currentTime >= 9", timeout=10000)
    finally:
        page.close()


def test_show_page_chapter_seeks_its_own_player(browser, served_site: str) -> None:  # type: ignore[no-untyped-def]
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


def read_card(page: Any) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The page's meta tags (property or name -> content) and its JSON-LD, as the browser
    parses them."""
    meta = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('meta[property], meta[name]')]
            .map(m => [m.getAttribute('property') || m.getAttribute('name'), m.content]))"""
    )
    ld = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    return meta, ld


def test_link_cards_and_json_ld_carry_the_episodes_values(  # type: ignore[no-untyped-def]
    browser, served_site: str, settings: Settings
) -> None:
    project = load_project(settings)
    manifest = read_manifest(LocalStorage(settings.root / "public"))
    page = browser.new_page()
    try:
        for slug in ("on-tools", "pilot"):
            episode = project.episode_at(settings.episodes_dir / f"{slug}.yaml")
            record = manifest.episodes[episode.guid or ""]
            page.goto(f"{served_site}episodes/{slug}.html")
            meta, ld = read_card(page)
            url = f"{served_site}episodes/{slug}.html"
            audio = served_site + record.media["audio"].key
            assert meta["og:title"] == meta["twitter:title"] == episode.title
            assert meta["og:description"] == episode.summary
            assert meta["og:url"] == url and meta["og:audio"] == audio
            assert meta["twitter:card"] == "player"
            assert meta["twitter:player"] == f"{served_site}embed/{slug}.html"
            image = record.poster or record.artwork or manifest.feeds["show"].artwork
            assert meta["og:image"] == served_site + image.key
            by_type = {item["@type"]: item for item in ld}
            item = by_type["PodcastEpisode"]
            assert item["name"] == episode.title and item["url"] == url
            assert item["datePublished"] == episode.published.isoformat()
            assert item["episodeNumber"] == episode.episode
            assert item["associatedMedia"]["contentUrl"] == audio
            seconds = round(record.media["audio"].duration or 0)
            assert item["associatedMedia"]["duration"] == f"PT{seconds}S"
            assert by_type["PodcastSeries"]["name"] == project.feeds[0].title
            if "video" not in record.media:
                assert "VideoObject" not in by_type and "og:video" not in meta
                continue
            video = by_type["VideoObject"]
            assert (
                video["contentUrl"] == meta["og:video"] == served_site + record.media["video"].key
            )
            assert video["uploadDate"] == episode.published.isoformat()
            assert video["thumbnailUrl"] == meta["og:image"]
            duration = round(record.media["video"].duration or 0)
            assert video["duration"] == f"PT{duration}S"
            assert (meta["twitter:player:width"], meta["twitter:player:height"]) == ("640", "360")
    finally:
        page.close()


@pytest.mark.parametrize(("slug", "kind"), [("on-tools", "video"), ("pilot", "rich")])
def test_an_oembed_consumer_embeds_the_player_from_the_page_url(  # type: ignore[no-untyped-def]
    browser, served_site: str, slug: str, kind: str, http_server, tmp_path: Path
) -> None:
    from pyoembed import oEmbed

    found = oEmbed(f"{served_site}episodes/{slug}.html")  # discovery: the page's <link>
    assert found["type"] == kind and found["provider_name"] == "The Sample Show"
    assert found["thumbnail_url"].startswith(served_site)
    page = browser.new_page()
    try:
        # the consumer's page: the returned HTML pasted into a post on another origin
        blog = tmp_path / "blog"
        blog.mkdir()
        (blog / "post.html").write_text(f"<!doctype html><title>A post</title>{found['html']}")
        page.goto(http_server(blog) + "post.html")
        page.frame_locator("iframe").locator("#player").wait_for(state="attached")
        [player] = [f for f in page.frames if f.url == f"{served_site}embed/{slug}.html"]
        player.wait_for_function(f"{PLAYER}.readyState >= 1", timeout=15000)
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_are_accessible_and_fit_a_phone_in_both_schemes(  # type: ignore[no-untyped-def]
    browser, served_site: str, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    page = context.new_page()
    try:
        for path in (
            "",
            "episodes/on-tools.html",
            "embed/on-tools.html",
            "embed/pilot.html",
            "archive/1.html",
        ):
            page.goto(served_site + path)
            page.wait_for_load_state("load")
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (path, width)
            violations = Axe().run(page).response["violations"]
            bad = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
            assert bad == [], (path, bad)
    finally:
        context.close()


def test_an_unchanged_site_run_writes_nothing_and_an_edit_rewrites_its_pages(
    run: Callable[..., Result], project: Path
) -> None:
    assert run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml").exit_code == 0
    assert run("site").exit_code == 0  # records its inputs in the site index
    public = project / "public"
    before = {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()}
    result = run("site")
    assert result.exit_code == 0 and result.stdout == ""
    assert {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()} == before
    path = project / "episodes" / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", "title: The Pilot"))
    updated = run("site").stdout.split()
    assert sorted(u.removeprefix("http://localhost:8000/") for u in updated[1::2]) == [
        "archive/1.html",
        "embed/pilot.html",
        "episodes/on-tools.html",
        "episodes/pilot.html",
        "index.html",
        "oembed/pilot.json",
    ]


def test_serve_answers_a_missing_page_with_the_sites_404_page(
    settings: Settings, showpipe_serve: Callable[[Path], str]
) -> None:
    import requests

    publish_all(settings)
    response = requests.get(showpipe_serve(settings.root) + "episodes/nope.html", timeout=10)
    assert response.status_code == 404
    assert "This page is not here" in response.text


def test_the_show_page_describes_the_series_in_json_ld(settings: Settings) -> None:
    storage = publish_all(settings)
    page = html.fromstring((storage.root / "index.html").read_bytes())
    [script] = page.xpath('//script[@type="application/ld+json"]/text()')
    series = json.loads(script)
    assert series["@type"] == "PodcastSeries" and series["name"] == "The Sample Show"
    assert series["webFeed"] == "http://localhost:8000/feeds/show.xml"


def test_cards_and_oembed_give_a_file_on_another_host_the_url_its_feed_gives(
    settings: Settings,
) -> None:
    storage = publish_all(settings)
    project, manifest = load_project(settings), read_manifest(storage)
    guid = project.episode_at(settings.episodes_dir / "pilot.yaml").guid or ""
    record = manifest.episodes[guid]
    # as an imported show keeps them: the recording and its image where they always were
    elsewhere = "https://old-host.example/shows/épisode 1.mp3"
    audio = dataclasses.replace(record.media["audio"], url=elsewhere)
    art = dataclasses.replace(record.artwork or record.media["audio"], url=elsewhere + ".jpg")
    record = dataclasses.replace(record, media={"audio": audio}, artwork=art, poster=None)
    manifest = dataclasses.replace(manifest, episodes={**manifest.episodes, guid: record})
    pages = {p.key: p for p in build_site(project, manifest, now=NOW)}
    url_of = file_urls(settings.public_url)
    assert url_of(audio) == "https://old-host.example/shows/%C3%A9pisode%201.mp3"
    page = html.fromstring(pages["episodes/pilot.html"].html)
    assert page.xpath('//meta[@property="og:audio"]/@content') == [url_of(audio)]
    assert page.xpath('//meta[@property="og:image"]/@content') == [url_of(art)]
    [script] = page.xpath('//script[@type="application/ld+json"]/text()')
    assert json.loads(script)[0]["associatedMedia"]["contentUrl"] == url_of(audio)
    assert json.loads(pages["oembed/pilot.json"].html)["thumbnail_url"] == url_of(art)


def test_every_page_renders_the_same_in_another_process(settings: Settings) -> None:
    storage = publish_sample(settings)
    pages = build_site(load_project(settings), read_manifest(storage), now=NOW)
    # what a worker process gets: each page's render, pickled with what it renders from
    copies = pickle.loads(pickle.dumps([page.render for page in pages]))
    assert [render() for render in copies] == [page.html for page in pages]


def test_pages_rendered_on_every_core_come_back_in_order() -> None:
    renders = [partial(bytes, f"page {n}".encode()) for n in range(2 * parallel.RUN_LENGTH + 7)]
    rendered = list(parallel.render_each(renders, parallel_from=1))
    assert rendered == [f"page {n}".encode() for n in range(len(renders))]


def test_a_big_site_is_written_as_one_rendered_page_by_page(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`write_site` on every core (as for a big show) stores the very pages rendered here."""
    storage = publish_sample(settings)
    project, manifest = load_project(settings), read_manifest(storage)
    alone = {p.key: p.html for p in build_site(project, manifest, now=NOW)}
    monkeypatch.setattr(parallel, "render_each", partial(parallel.render_each, parallel_from=1))
    fresh = LocalStorage(tmp_path / "fresh")
    assert sorted(write_site(fresh, build_site(project, manifest, now=NOW))) == sorted(alone)
    assert {key: fresh.get(key) for key in alone} == alone


def test_a_site_never_written_is_known_to_change_without_rendering_a_page(
    settings: Settings,
) -> None:
    storage = publish_sample(settings)
    project, manifest = load_project(settings), read_manifest(storage)
    pages = build_site(project, manifest, now=NOW)
    # rendered under the lock, as they are written, instead of once before it
    assert site.pages_change(storage, pages) and not any(page.rendered for page in pages)
    assert len(write_site(storage, pages)) == len(pages)
    assert not site.pages_change(storage, build_site(project, manifest, now=NOW))
