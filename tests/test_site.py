"""The show page and embed pages: built from the manifest, and played in a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from lxml import etree, html

from sampleshow import NOW, publish_sample
from showpipe.config import Settings
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
                assert not url.startswith("http://localhost:8000/") or path.parent.name == "episodes"
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
    assert [b.get("data-start") for b in page.xpath("//ol[contains(@class,'chapters')]//button")] == [
        "0.0",
        "5.0",
        "9.0",
    ]


def test_unchanged_site_is_not_rewritten(settings: Settings) -> None:
    storage = publish_all(settings)
    pages = build_site(load_project(settings), read_manifest(storage), now=NOW)
    assert write_site(storage, pages) == []


def test_publish_rebuilds_a_stale_site_once(
    run: Callable[..., Result], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("publish", "episodes/on-tools.yaml").exit_code == 0
    public = project / "public"
    # a site never written (a show published before it had pages): no feed changes now
    (public / "index.html").unlink()
    (public / SITE_INDEX_KEY).unlink()
    renders: list[str] = []
    real_render = site._render

    def counting_render(template: str, **values: Any) -> bytes:
        renders.append(template)
        return real_render(template, **values)

    monkeypatch.setattr(site, "_render", counting_render)
    result = run("publish", "episodes/on-tools.yaml")
    assert result.exit_code == 0, result.output
    assert "(unchanged)" in result.stdout
    assert (public / "index.html").is_file() and (public / SITE_INDEX_KEY).is_file()
    # one build of the site: its show page rendered once, to check it and to write it
    assert renders.count("index.html") == 1


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
    listed = {u.removeprefix("http://localhost:8000/") for u in sitemap.xpath("//s:loc/text()", namespaces=ns)}
    readable = {p.relative_to(storage.root.resolve()).as_posix() for p in seen}
    assert listed == readable
    robots = (storage.root / "robots.txt").read_text()
    assert "Sitemap: http://localhost:8000/sitemap.xml" in robots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "WEBVTT\n\nNOTE a note\n\n1\n00:00:01.500 --> 00:00:03.000 align:start\n"
            "<v Ada Lovelace>Hello <b>there</b>\nand welcome\n\n01:02:03.000 --> 01:02:04.000\nbye\n",
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
    subscribe = dict(zip(page.xpath("//nav//li/a/text()"), page.xpath("//nav//li/a/@href"), strict=True))
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
        " ".join(li.text_content().split()) for li in page.xpath("//ol[contains(@class,'transcript')]/li")
    )
