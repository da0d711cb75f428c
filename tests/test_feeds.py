"""Both feeds, read as apps read them, compared field by field with the YAML and the spec."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest
import xxhash
from lxml import etree

from sampleshow import NOW, publish_into, publish_sample, sample_episodes
from showpipe.config import Settings
from showpipe.errors import FeedError
from showpipe.feeds import Descriptions, clean_url, podcast_guid, render_html
from showpipe.feeds.build import BuiltFeed
from showpipe.feeds.cut import split_items
from showpipe.feeds.readback import ExpectedItem, ReadBack, cut_read_back, feed_items, read_back
from showpipe.feeds.schema import schema_problems
from showpipe.feeds.text import clean_text
from showpipe.model.episode import Episode
from showpipe.model.loading import load_episode, load_feed
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.model.published import due_episodes, newest_first
from showpipe.publishing.plan import plan_feeds_only, plan_publish
from showpipe.storage.local import LocalStorage

BASE = "http://localhost:8000/"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "media": "http://search.yahoo.com/mrss/",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


@pytest.fixture
def published(settings: Settings) -> LocalStorage:
    return publish_sample(settings)


def feed_bytes(storage: LocalStorage, name: str) -> bytes:
    return (storage.root / "feeds" / f"{name}.xml").read_bytes()


def tree(storage: LocalStorage, name: str) -> etree._Element:
    return etree.fromstring(feed_bytes(storage, name))


def stored(storage: LocalStorage, url: str) -> bytes:
    assert url.startswith(BASE), url
    return (storage.root / url.removeprefix(BASE)).read_bytes()


def episodes_by_guid(settings: Settings) -> dict[str, Episode]:
    return {e.guid or "": e for e in load_project(settings).episodes}


@pytest.mark.parametrize("name", ["show", "videos"])
def test_both_feeds_match_the_yaml_field_by_field(
    settings: Settings, published: LocalStorage, name: str
) -> None:
    feed = load_feed(settings.feeds_dir / f"{name}.yaml")
    xml = feed_bytes(published, name)
    fp = feedparser.parse(xml)
    pp = podcastparser.parse(f"{BASE}feeds/{name}.xml", io.BytesIO(xml))
    assert fp.bozo == 0
    assert fp.feed.title == pp["title"] == feed.title
    assert fp.feed.language == feed.language
    # feedparser folds itunes:author and itunes:owner together; read itunes:author directly
    channel = etree.fromstring(xml).find("channel")
    assert channel.findtext("itunes:author", namespaces=NS) == feed.author
    assert fp.feed.publisher_detail.name == feed.owner.name
    assert fp.feed.publisher_detail.email == feed.owner.email
    assert pp["type"] == feed.type
    assert stored(published, pp["cover_url"])  # the artwork is really there
    by_guid = episodes_by_guid(settings)
    manifest = read_manifest(published)
    expected = sorted(
        (e for e in by_guid.values() if e.media(feed.medium)),
        key=lambda e: e.published,
        reverse=True,
    )
    assert [e["guid"] for e in pp["episodes"]] == [e.guid for e in expected]
    assert [e.id for e in fp.entries] == [e.guid for e in expected]
    for item, entry in zip(pp["episodes"], fp.entries, strict=True):
        episode = by_guid[item["guid"]]
        media = manifest.episodes[item["guid"]].media[feed.medium]
        assert item["title"] == entry.title == entry.itunes_title == episode.title
        assert item["published"] == int(episode.published.timestamp())
        assert parsedate_to_datetime(entry.published) == episode.published
        assert item["description"] == episode.summary
        assert item["description_html"] == render_html(episode.description)
        assert item["type"] == episode.type
        assert item["explicit"] is episode.explicit
        assert item.get("number") == episode.episode
        assert item.get("season") == episode.season
        assert item["total_time"] == round(media.duration or 0)
        assert entry.guidislink is False
        [enclosure] = entry.enclosures
        assert int(enclosure.length) == len(stored(published, enclosure.href)) == media.size
        assert enclosure.type == media.content_type
        # what is published is the tagged copy the manifest describes
        assert xxhash.xxh3_128_hexdigest(stored(published, enclosure.href)) == media.digest
        # podcastparser reads psc:chapters, as gPodder does
        assert [(c["start"], c["title"]) for c in item.get("chapters", [])] == [
            (int(c.start), c.title) for c in episode.chapters
        ]


def test_every_podcast_element_is_valid_against_the_xsd(published: LocalStorage) -> None:
    checked = 0
    for name in ("show", "videos"):
        for element in tree(published, name).iter(f"{{{NS['podcast']}}}*"):
            assert schema_problems(element) == [], etree.tostring(element)
            checked += 1
    assert checked > 20


def test_the_schema_check_rejects_what_the_xsd_forbids() -> None:
    bad = etree.fromstring(
        f'<podcast:locked xmlns:podcast="{NS["podcast"]}">maybe</podcast:locked>'
    )
    assert any("owner" in p for p in schema_problems(bad))
    assert any("maybe" in p for p in schema_problems(bad))


def test_podcast_guid_is_the_uuid5_of_the_feed_url() -> None:
    # the example in the podcast namespace's guid.md
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_channel_podcast_tags(settings: Settings, published: LocalStorage) -> None:
    feed = load_feed(settings.feeds_dir / "show.yaml")
    channel = tree(published, "show").find("channel")
    assert channel is not None
    assert channel.findtext("podcast:guid", namespaces=NS) == podcast_guid(f"{BASE}feeds/show.xml")
    assert str(uuid.UUID(channel.findtext("podcast:guid", namespaces=NS))) == podcast_guid(
        channel.find("atom:link[@rel='self']", NS).get("href")
    )
    assert channel.findtext("podcast:medium", namespaces=NS) == "podcast"
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", feed.owner.email)
    persons = channel.findall("podcast:person", NS)
    assert [(p.text, p.get("role"), p.get("href")) for p in persons] == [
        (h.name, "host", h.link) for h in feed.hosts
    ]
    funding = channel.find("podcast:funding", NS)
    assert (funding.get("url"), funding.text) == ("https://example.com/support", "Support the show")
    assert channel.findtext("podcast:license", namespaces=NS) == "CC-BY-4.0"
    frequency = channel.find("podcast:updateFrequency", NS)
    assert frequency.text == "Every other Monday"
    assert frequency.get("rrule") == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    video = tree(published, "videos").find("channel")
    assert video.findtext("podcast:medium", namespaces=NS) == "video"
    assert video.findtext("itunes:explicit", namespaces=NS) == "false"


def test_item_podcast_tags(settings: Settings, published: LocalStorage) -> None:
    episode = episodes_by_guid(settings)["5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"]
    feed = load_feed(settings.feeds_dir / "show.yaml")
    item = tree(published, "show").find(f"channel/item[guid='{episode.guid}']")
    assert item is not None
    season = item.find("podcast:season", NS)
    assert (season.text, season.get("name")) == ("1", "Making the show")
    assert item.findtext("podcast:episode", namespaces=NS) == "2"
    persons = [(p.text, p.get("role")) for p in item.findall("podcast:person", NS)]
    # item persons replace the channel's: the hosts come again, then the guest
    assert persons == [(h.name, "host") for h in feed.hosts] + [("Margaret Hamilton", "guest")]
    [transcript] = item.findall("podcast:transcript", NS)
    assert transcript.get("type") == "text/vtt" and transcript.get("rel") == "captions"
    assert stored(published, transcript.get("url")) == episode.transcripts[0].read_bytes()
    [bite] = item.findall("podcast:soundbite", NS)
    assert (bite.get("startTime"), bite.get("duration"), bite.text) == (
        "5",
        "15",
        "Grace on microphones",
    )


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.mark.parametrize(
    ("name", "types"),
    [("show", ["video/mp4", "audio/ogg"]), ("videos", ["audio/mpeg", "audio/ogg"])],
)
def test_alternate_enclosures_carry_the_other_renditions_with_integrity(
    published: LocalStorage, name: str, types: list[str]
) -> None:
    item = tree(published, name).find("channel/item[title='On Tools']")
    alternates = item.findall("podcast:alternateEnclosure", NS)
    assert [a.get("type") for a in alternates] == types
    for alternate in alternates:
        [source] = alternate.findall("podcast:source", NS)
        data = stored(published, source.get("uri"))
        assert int(alternate.get("length")) == len(data)
        integrity = alternate.find("podcast:integrity", NS)
        assert integrity.get("type") == "sri"
        assert integrity.get("value") == sri(data)


def test_video_items_carry_media_rss_and_the_poster(
    settings: Settings, published: LocalStorage
) -> None:
    item = tree(published, "videos").find("channel/item")
    enclosure = item.find("enclosure")
    content = item.find("media:content", NS)
    assert content.get("url") == enclosure.get("url")
    assert content.get("fileSize") == enclosure.get("length")
    assert (content.get("type"), content.get("medium")) == ("video/mp4", "video")
    assert (content.get("width"), content.get("height"), content.get("duration")) == (
        "320",
        "180",
        "12",
    )
    poster = settings.episodes_dir / "media" / "on-tools-poster.jpg"
    thumbnail = item.find("media:thumbnail", NS).get("url")
    assert stored(published, thumbnail) == poster.read_bytes()
    image = item.find("podcast:image", NS)
    assert image.get("href") == thumbnail
    assert (image.get("purpose"), image.get("aspect-ratio")) == ("poster", "640/360")
    # itunes:image stays the square artwork
    assert item.find("itunes:image", NS).get("href") != thumbnail


def test_chapters_file_is_published_beside_the_media_in_the_spec_shape(
    settings: Settings, published: LocalStorage
) -> None:
    for episode in load_project(settings).episodes:
        item = tree(published, "show").find(f"channel/item[guid='{episode.guid}']")
        tag = item.find("podcast:chapters", NS)
        if not episode.chapters:
            assert tag is None
            continue
        assert tag.get("type") == "application/json+chapters"
        document = json.loads(stored(published, tag.get("url")))
        assert document["version"] == "1.2.0"
        chapters = document["chapters"]
        assert [c["startTime"] for c in chapters] == [c.start for c in episode.chapters]
        assert [c["title"] for c in chapters] == [c.title for c in episode.chapters]
        assert [c.get("url") for c in chapters] == [c.link for c in episode.chapters]
        for chapter in chapters:
            assert set(chapter) <= {"startTime", "title", "img", "url", "toc", "endTime"}
            assert isinstance(chapter["startTime"], int | float)
        # inline too, as Podlove Simple Chapters
        psc = item.findall("psc:chapters/psc:chapter", NS)
        assert [c.get("title") for c in psc] == [c.title for c in episode.chapters]
        assert psc[-1].get("start") == f"00:00:{episode.chapters[-1].start:06.3f}"


def test_trailer_episodes_become_podcast_trailer(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    make_episode("teaser", type="trailer", season=2, published="2026-10-01T08:00:00Z")
    storage = publish_sample(settings)
    [trailer] = tree(storage, "show").findall("channel/podcast:trailer", NS)
    item = tree(storage, "show").find("channel/item[guid='guid-teaser']/enclosure")
    assert trailer.text == "Episode teaser"
    assert (trailer.get("url"), trailer.get("length")) == (item.get("url"), item.get("length"))
    assert trailer.get("pubdate") == "Thu, 01 Oct 2026 08:00:00 +0000"
    assert (trailer.get("type"), trailer.get("season")) == ("audio/mpeg", "2")


def test_same_inputs_give_byte_identical_feeds(settings: Settings, published: LocalStorage) -> None:
    first = {n: feed_bytes(published, n) for n in ("show", "videos")}
    plan = plan_feeds_only(load_project(settings), published, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert {f.name: f.xml for f in plan.feeds} == first
    assert not plan.changes_anything
    last_build = tree(published, "show").findtext("channel/lastBuildDate")
    assert parsedate_to_datetime(last_build) == max(
        e.published for e in load_project(settings).episodes
    )


def test_ties_in_publication_time_are_ordered_by_guid(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    for slug in ("b-second", "a-first", "c-third"):
        make_episode(slug, guid=f"tie-{slug}", published="2026-11-28T10:00:00Z")
    storage = publish_sample(settings)
    guids = [g.text for g in tree(storage, "show").iterfind("channel/item/guid")]
    assert guids[:3] == ["tie-c-third", "tie-b-second", "tie-a-first"]


def is_xml_char(code: int) -> bool:
    """XML 1.0 §2.2, the Char production, as the specification writes it."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def test_clean_text_keeps_exactly_the_characters_xml_allows() -> None:
    for c in map(chr, range(0x80)):  # one at a time, through the fast path for ASCII too
        kept = "a" + c + "b"
        assert clean_text(kept) == (kept if is_xml_char(ord(c)) else "ab"), hex(ord(c))
    every = "".join(map(chr, range(0x110000)))  # every code point, lone surrogates included
    assert clean_text(every) == "".join(c for c in every if is_xml_char(ord(c)))
    assert clean_text("caf\u00e9\x00 \ufffe\U0001f399") == "caf\u00e9 \U0001f399"


def test_forbidden_characters_html_and_urls_are_cleaned(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    # Control characters in the YAML are refused with file:line (test_hostile.py); text
    # from elsewhere (imports) is still cleaned on the way into the feed.
    assert clean_text("Bell\x07 and escape\x1b") == "Bell and escape"
    assert clean_text("Form\x0cfeed") == "Formfeed"
    make_episode(
        "dirty",
        title="Bell and escape",
        summary="Formfeed",
        description="Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**",
        guests=[{"name": "Zoë", "role": "guest", "link": "https://exämple.com/a b/ü"}],
    )
    storage = publish_sample(settings)
    xml = feed_bytes(storage, "show")
    item = etree.fromstring(xml).find("channel/item[guid='guid-dirty']")
    assert item.findtext("title") == "Bell and escape"
    assert item.findtext("description") == "Formfeed"
    html = item.findtext("content:encoded", namespaces=NS)
    assert "<script" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and "<strong>bold</strong>" in html
    guest = item.find("podcast:person[@role='guest']", NS)
    assert guest.get("href") == "https://xn--exmple-cua.com/a%20b/%C3%BC"
    assert clean_url(guest.get("href")) == guest.get("href")  # escaping is stable


def test_read_back_refuses_a_feed_that_an_app_would_misread(published: LocalStorage) -> None:
    xml = feed_bytes(published, "show")
    root = etree.fromstring(xml)
    enclosures = [(i.findtext("guid"), i.find("enclosure")) for i in root.iterfind("channel/item")]
    items = [ExpectedItem(g, e.get("url"), int(e.get("length"))) for g, e in enclosures]
    read_back(f"{BASE}feeds/show.xml", xml, items)  # as built: fine
    wrong = [*items[:-1], ExpectedItem(items[-1].guid, items[-1].url, items[-1].length + 1)]
    with pytest.raises(FeedError, match="reads back wrong.*length|enclosures"):
        read_back(f"{BASE}feeds/show.xml", xml, wrong)
    with pytest.raises(FeedError, match="2 items read back, 3 meant"):
        hidden = xml.replace(b"<item>", b"<hidden>", 1).replace(b"</item>", b"</hidden>", 1)
        read_back(f"{BASE}feeds/show.xml", hidden, items)


def test_a_big_feed_is_read_back_in_pieces_that_hold_each_item_once(
    published: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    import showpipe.feeds.readback as readback

    xml = feed_bytes(published, "show")
    cut = split_items(xml)
    assert cut is not None
    root = etree.fromstring(xml)
    enclosures = [(i.findtext("guid"), i.find("enclosure")) for i in root.iterfind("channel/item")]
    items = [ExpectedItem(g, e.get("url"), int(e.get("length"))) for g, e in enclosures]
    url = f"{BASE}feeds/show.xml"
    whole = ReadBack(url, xml, items)
    assert cut_read_back(url, xml, cut, items, items) == [whole]  # a few items: one piece
    monkeypatch.setattr(readback, "PIECE_ITEMS", 2)
    pieces = cut_read_back(url, xml, cut, items, items)
    assert [list(p.expected) for p in pieces] == [items[:2], items[2:]]
    for piece in pieces:
        parsed = podcastparser.parse(piece.url, io.BytesIO(piece.xml))
        assert [e["guid"] for e in parsed["episodes"]] == [e.guid for e in piece.expected]
        assert parsed["title"] == root.findtext("channel/title")  # the whole channel, each time
        piece.run()
    wrong = xml.replace(b'length="', b'length="9', 1)
    wrong_cut = split_items(wrong)
    assert wrong_cut is not None
    with pytest.raises(FeedError, match="reads back wrong"):
        cut_read_back(url, wrong, wrong_cut, items, items)[0].run()


def test_changing_a_published_guid_is_refused_and_nothing_is_written(
    settings: Settings, published: LocalStorage
) -> None:
    before = feed_bytes(published, "show")
    path = settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("0b6f2f5e-3d1c", "ffffffff-3d1c"))
    with pytest.raises(FeedError, match="would disappear") as refused:
        plan_publish(load_project(settings), published, [path], now=NOW)
    assert "'Pilot' (0b6f2f5e-3d1c" in str(refused.value)
    assert "pilot.yaml now has GUID ffffffff-3d1c" in str(refused.value)
    assert "restore `guid: 0b6f2f5e-3d1c" in str(refused.value)
    assert feed_bytes(published, "show") == before


def test_an_episode_moved_into_the_future_is_named_as_the_cause(
    settings: Settings, published: LocalStorage
) -> None:
    path = settings.episodes_dir / "pilot.yaml"
    episode = load_episode(path)
    path.write_text(
        path.read_text()
        .replace(episode.published.isoformat(), "2030-01-01T09:00:00+00:00")
        .replace(episode.published.strftime("%Y-%m-%dT%H:%M:%S"), "2030-01-01T09:00:00")
    )
    assert load_episode(path).published.year == 2030
    with pytest.raises(FeedError, match="pilot.yaml's `published` time .*2030.* is after"):
        plan_feeds_only(load_project(settings), published, now=NOW)


def test_a_checkout_missing_an_episode_says_to_pull(
    settings: Settings, published: LocalStorage
) -> None:
    (settings.episodes_dir / "pilot.yaml").unlink()  # a co-host's stale checkout
    with pytest.raises(FeedError, match="no episode YAML in this checkout has this GUID: pull"):
        plan_feeds_only(load_project(settings), published, now=NOW)


def test_unpublished_episode_may_leave_the_feed(
    settings: Settings, published: LocalStorage
) -> None:
    path = settings.episodes_dir / "listener-mail.yaml"
    path.write_text(path.read_text() + "unpublished: true\n")
    plan = plan_feeds_only(load_project(settings), published, now=NOW)
    assert [f.removed for f in plan.feeds] == [["Listener Mail"], []]


def test_a_moved_public_url_keeps_the_podcast_guid_only_when_told(
    settings: Settings, published: LocalStorage
) -> None:
    from dataclasses import replace

    moved = replace(settings, public_url="https://cdn.example.com/")
    with pytest.raises(FeedError, match="podcast:guid would change.*podcast_guid: "):
        plan_feeds_only(load_project(moved), published, now=NOW)
    for name in ("show", "videos"):
        old = tree(published, name).findtext("channel/podcast:guid", namespaces=NS)
        path = settings.feeds_dir / f"{name}.yaml"
        path.write_text(path.read_text() + f"podcast_guid: {old}\n")
    plan = plan_feeds_only(load_project(moved), published, now=NOW)
    assert all(b"https://cdn.example.com/media/" in f.xml for f in plan.feeds)


def test_situational_channel_tags_where_set(settings: Settings) -> None:
    show = settings.feeds_dir / "show.yaml"
    show.write_text(
        show.read_text()
        + "new_feed_url: https://new.example.com/show.xml\nblock: true\ncomplete: true\n"
        + "podroll:\n  - feed_guid: 917393e3-1b1e-5cef-ace4-edaa54e1f810\n"
        + "    feed_url: https://example.org/other.xml\n"
    )
    storage = publish_sample(settings)
    channel = tree(storage, "show").find("channel")
    assert (
        channel.findtext("itunes:new-feed-url", namespaces=NS) == "https://new.example.com/show.xml"
    )
    assert channel.findtext("itunes:block", namespaces=NS) == "Yes"
    assert channel.findtext("itunes:complete", namespaces=NS) == "Yes"
    [remote] = channel.findall("podcast:podroll/podcast:remoteItem", NS)
    assert remote.get("feedGuid") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert remote.get("feedUrl") == "https://example.org/other.xml"
    # not set: not written
    videos = tree(storage, "videos").find("channel")
    for tag in ("itunes:block", "itunes:complete", "itunes:new-feed-url", "podcast:podroll"):
        assert videos.find(tag, NS) is None


def test_cron_on_another_machine_without_media_rebuilds_identical_feeds(
    settings: Settings, published: LocalStorage, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from showpipe.cli import cli

    before = {n: feed_bytes(published, n) for n in ("show", "videos")}
    stamps = {n: (published.root / "feeds" / f"{n}.xml").stat().st_mtime_ns for n in before}
    # a git checkout of the YAML only: no media, no artwork, no build cache
    elsewhere = tmp_path / "cron-machine"
    for folder in ("feeds", "episodes"):
        (elsewhere / folder).mkdir(parents=True)
        for path in (settings.root / folder).glob("*.yaml"):
            (elsewhere / folder / path.name).write_bytes(path.read_bytes())
    result = CliRunner().invoke(
        cli,
        # the real clock: every sample episode is long due
        ["-C", str(elsewhere), "--storage", str(published.root), "feeds"],
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert {n: feed_bytes(published, n) for n in before} == before
    assert {n: (published.root / "feeds" / f"{n}.xml").stat().st_mtime_ns for n in before} == stamps


def erred(built: BuiltFeed, xml: bytes) -> BuiltFeed:
    """`built` as a build that erred would have made it: `xml`, with its items and pieces."""
    pieces = split_items(xml)
    assert pieces is not None
    return replace(built, xml=xml, items=feed_items(xml), pieces=pieces)


@pytest.mark.parametrize("pieces", [0, 3, 1], ids=["in-process", "forked", "forked-in-pieces"])
def test_a_feed_that_reads_back_wrong_stops_the_publish_before_any_upload(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, pieces: int
) -> None:
    import showpipe.feeds.readback
    import showpipe.publishing.feedplan

    if pieces:  # big shows read their feeds back in forked processes: the sample, as one
        monkeypatch.setattr(showpipe.publishing.feedplan, "PARALLEL_READ_BACK_FROM", 0)
        monkeypatch.setattr(showpipe.publishing.feedplan, "READ_BACK_AT_ONCE_UNDER", 0)
        # items per piece: with one, the main process reads what no worker started
        monkeypatch.setattr(showpipe.feeds.readback, "PIECE_ITEMS", pieces)
    storage = LocalStorage(settings.root / "public")
    paths = sample_episodes(settings)
    plan = plan_publish(load_project(settings), storage, paths, now=NOW)
    assert [f.added for f in plan.feeds] == [["Listener Mail", "On Tools", "Pilot"], ["On Tools"]]

    real_build = showpipe.publishing.feedplan.build_feed

    def build_with_a_wrong_length(*args: object, **kwargs: object) -> BuiltFeed:
        built: BuiltFeed = real_build(*args, **kwargs)  # type: ignore[arg-type]
        # one byte more than the first enclosure's true size
        xml = re.sub(
            rb'(<enclosure [^>]*length=")(\d+)',
            lambda m: m[1] + b"%d" % (int(m[2]) + 1),
            built.xml,
            count=1,
        )
        return erred(built, xml)

    monkeypatch.setattr(showpipe.publishing.feedplan, "build_feed", build_with_a_wrong_length)
    shutil.rmtree(settings.cache_dir)  # a cold run: every cache would be new
    # the FeedError reaches the caller (from a child process too), and nothing is stored,
    # nor any cache of what the run loaded, validated or rendered
    with pytest.raises(FeedError, match="show.xml: the built feed reads back wrong"):
        plan_publish(load_project(settings), storage, paths, now=NOW)
    assert not storage.root.exists()
    kept = {p.name.split(".")[0] for p in settings.cache_dir.glob("*")}
    assert not kept & {"episodes", "manifest", "feed-items"}


def test_items_rendered_on_every_core_are_those_built_one_by_one(
    settings: Settings, published: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    import showpipe.feeds.build as build

    project = load_project(settings)
    manifest = read_manifest(published)
    due = due_episodes(project, manifest, NOW)
    feeds = [
        (feed, newest_first(p for p in due if feed.medium_of(p.record.media)), record.artwork)
        for feed in project.feeds
        for record in [manifest.feeds[feed.name]]
    ]
    monkeypatch.setattr(build, "PARALLEL_RENDER_FROM", 0)  # as for a big show: worker processes
    descriptions = Descriptions()
    url = settings.public_url
    ahead = build.render_items(feeds, public_url=url, descriptions=descriptions)
    for feed, listed, artwork in feeds:
        alone = build.build_feed(feed, listed, artwork=artwork, public_url=url)
        assert sorted(ahead[feed.name].items) == sorted(p.guid for p in listed)
        assert all(ahead[feed.name].items[p.guid] in alone.xml for p in listed)
        with_ahead = build.build_feed(
            feed, listed, artwork=artwork, public_url=url, ahead=ahead[feed.name]
        )
        assert with_ahead.xml == alone.xml
    html = {p.episode.description: descriptions.html(p.episode.description) for p in due}
    assert html == {m: render_html(m) for m in html}


@pytest.mark.parametrize("wrong", [False, True], ids=["right", "one-length-wrong"])
def test_new_items_of_a_big_change_are_read_back_in_pieces_of_their_own(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, wrong: bool
) -> None:
    """Two episodes published into a feed that lists one read back already: only the new
    items are read back, each piece (one item here) cut from the feed with its items alone;
    an enclosure length wrong among them still stops the publish."""
    import showpipe.feeds.readback
    import showpipe.publishing.feedplan

    storage = LocalStorage(settings.root / "public")
    first, *others = sample_episodes(settings)
    publish_into(storage, settings, [first])
    monkeypatch.setattr(showpipe.feeds.readback, "PIECE_ITEMS", 1)
    runs: list[ReadBack] = []
    real_run = ReadBack.run

    def run_and_keep(check: ReadBack) -> None:
        runs.append(check)
        real_run(check)

    monkeypatch.setattr(ReadBack, "run", run_and_keep)
    if wrong:
        real_build = showpipe.publishing.feedplan.build_feed

        def build_with_a_wrong_length(*args: object, **kwargs: object) -> BuiltFeed:
            built: BuiltFeed = real_build(*args, **kwargs)  # type: ignore[arg-type]
            xml = re.sub(rb'(<enclosure [^>]*length=")(\d+)', rb"\g<1>1\2", built.xml, count=1)
            return erred(built, xml)

        monkeypatch.setattr(showpipe.publishing.feedplan, "build_feed", build_with_a_wrong_length)
        with pytest.raises(FeedError, match="reads back wrong"):
            plan_publish(load_project(settings), storage, others, now=NOW)
        return
    published = storage.get("feeds/show.xml")
    plan = plan_publish(load_project(settings), storage, others, now=NOW)
    show = next(f for f in plan.feeds if f.name == "show")
    new = set(feed_items(show.xml).items) - set(feed_items(published).items)
    pieces = [check for check in runs if check.url.endswith("/show.xml")]
    assert len(new) == 2 and len(pieces) == 2
    for check in pieces:  # each piece holds the items it expects, and no other
        assert list(feed_items(check.xml).items) == [e.guid for e in check.expected]
    assert sorted(e.guid for check in pieces for e in check.expected) == sorted(new)
