from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest
import xxhash
from lxml import etree
from mutagen.id3 import ID3

from sampleshow import NOW, publish_sample, sample_episodes
from showpipe.config import Settings
from showpipe.errors import EpisodeError, MediaError
from showpipe.media import probe_media
from showpipe.media.id3 import audio_region
from showpipe.model.loading import load_episode
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.publishing.plan import plan_feeds_only, plan_publish, run_plan
from showpipe.storage.local import LocalStorage


def parse(storage: LocalStorage, name: str) -> tuple[feedparser.FeedParserDict, dict]:
    xml = (storage.root / "feeds" / f"{name}.xml").read_bytes()
    return feedparser.parse(xml), podcastparser.parse(
        f"http://localhost:8000/feeds/{name}.xml", io.BytesIO(xml)
    )


def stored_path(storage: LocalStorage, url: str) -> Path:
    return storage.root / url.removeprefix("http://localhost:8000/")


def test_published_feeds_match_the_yaml_in_two_podcast_parsers(settings: Settings) -> None:
    storage = publish_sample(settings)
    project = load_project(settings)
    by_guid = {e.guid: e for e in project.episodes}

    fp, pp = parse(storage, "show")
    assert fp.bozo == 0
    assert fp.feed.title == pp["title"] == "The Sample Show"
    assert pp["type"] == "episodic"
    assert [e.guid for e in fp.entries] == [e["guid"] for e in pp["episodes"]]
    # newest first
    assert [e["title"] for e in pp["episodes"]] == ["Listener Mail", "On Tools", "Pilot"]
    for entry in pp["episodes"]:
        episode = by_guid[entry["guid"]]
        assert entry["title"] == episode.title
        assert entry["published"] == int(episode.published.timestamp())
        [enclosure] = entry["enclosures"]
        path = stored_path(storage, enclosure["url"])
        assert enclosure["file_size"] == path.stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        # the stored file is the tagged copy: the source's audio frames behind a new tag
        start, end = audio_region(episode.audio)
        assert path.read_bytes().endswith(episode.audio.read_bytes()[start:end])
        assert ID3(path)["TIT2"].text == [episode.title]
        assert entry["total_time"] == round(probe_media(episode.audio).duration)
    for entry in fp.entries:
        assert entry.guidislink is False
        assert (
            int(entry.enclosures[0].length)
            == stored_path(storage, entry.enclosures[0].href).stat().st_size
        )


def test_video_feed_carries_only_video_episodes(settings: Settings) -> None:
    storage = publish_sample(settings)
    fp, pp = parse(storage, "videos")
    assert [e["title"] for e in pp["episodes"]] == ["On Tools"]
    # podcastparser also lists media:content, which points at the same video
    enclosures = pp["episodes"][0]["enclosures"]
    assert len({e["url"] for e in enclosures}) == 1
    enclosure = enclosures[0]
    assert enclosure["mime_type"] == "video/mp4"
    assert enclosure["file_size"] == stored_path(storage, enclosure["url"]).stat().st_size
    assert pp["episodes"][0]["total_time"] == 12


def test_channel_has_the_tags_apple_requires(settings: Settings) -> None:
    storage = publish_sample(settings)
    fp, _ = parse(storage, "show")
    assert fp.feed.language == "en"
    assert fp.feed.image.href.endswith(".jpg")
    assert stored_path(storage, fp.feed.image.href).is_file()
    channel = etree.fromstring((storage.root / "feeds" / "show.xml").read_bytes()).find("channel")
    # Apple wants true/false here; feedparser only understands the older yes/no/clean.
    assert channel.findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}explicit") == "false"
    assert [t.term for t in fp.feed.tags] == ["Technology", "Society & Culture", "Documentary"]
    assert fp.feed.link == "https://example.com/"


def test_originals_are_never_modified(settings: Settings) -> None:
    media = sorted((settings.episodes_dir / "media").iterdir())
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in media}
    publish_sample(settings)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in media} == before


def test_republishing_unchanged_episodes_uploads_nothing(settings: Settings) -> None:
    storage = publish_sample(settings)
    plan = plan_publish(load_project(settings), storage, sample_episodes(settings), now=NOW)
    assert plan.uploads and not any(u.needed for u in plan.uploads)
    assert not plan.changes_anything


def test_missing_guid_is_written_back_keeping_comments(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    path = make_episode("fresh", guid=None)
    path.write_text("# keep me\n" + path.read_text())
    storage = publish_sample(settings, [path], make_guid=lambda: "new-guid-1")
    text = path.read_text()
    assert text.startswith("# keep me\nguid: new-guid-1\ntitle: Episode fresh\n")
    assert load_episode(path).guid == "new-guid-1"
    assert "new-guid-1" in read_manifest(storage).episodes
    # a later publish keeps it, whatever the file is called now
    renamed = path.with_name("renamed.yaml")
    path.rename(renamed)
    publish_sample(settings, [renamed])
    _, pp = parse(storage, "show")
    assert [e["guid"] for e in pp["episodes"] if e["title"] == "Episode fresh"] == ["new-guid-1"]


def test_dry_run_plan_changes_nothing(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    path = make_episode("fresh", guid=None)
    before = path.read_bytes()
    storage = LocalStorage(settings.root / "public")
    plan = plan_publish(load_project(settings), storage, [path], now=NOW)
    assert [w.key for w in plan.yaml_writes] == ["guid"] and all(u.needed for u in plan.uploads)
    assert [f.added for f in plan.feeds] == [["Episode fresh"], []]
    assert path.read_bytes() == before
    assert not storage.root.exists()


def test_scheduled_episode_joins_the_feed_when_due(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    future = make_episode("future", published="2026-12-24T09:00:00+01:00")
    storage = publish_sample(settings)
    assert "Episode future" not in [e["title"] for e in parse(storage, "show")[1]["episodes"]]
    # uploaded already, so cron needs no media
    assert (
        storage.root / read_manifest(storage).episodes["guid-future"].media["audio"].key
    ).is_file()
    project = load_project(settings)
    plan = plan_feeds_only(project, storage, now=datetime(2026, 12, 24, 8, 0, tzinfo=UTC))
    assert [f.added for f in plan.feeds] == [["Episode future"], []]
    run_plan(plan, storage)
    assert parse(storage, "show")[1]["episodes"][0]["title"] == "Episode future"
    assert future.is_file()


def test_feeds_are_byte_identical_when_rebuilt_without_media(
    settings: Settings, tmp_path: Path
) -> None:
    storage = publish_sample(settings)
    published = {n: (storage.root / "feeds" / f"{n}.xml").read_bytes() for n in ("show", "videos")}
    # cron's machine: a checkout of the YAML and the storage, but no media or artwork
    shutil.rmtree(settings.episodes_dir / "media")
    shutil.rmtree(settings.feeds_dir / "artwork")
    plan = plan_feeds_only(load_project(settings), storage, now=NOW)
    assert not plan.changes_anything
    assert {f.name: f.xml for f in plan.feeds} == published


def test_missing_media_stops_publish_before_any_change(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    path = make_episode("ghost", audio="media/nope.mp3")
    storage = LocalStorage(settings.root / "public")
    with pytest.raises(EpisodeError, match="nope.mp3: file not found"):
        plan_publish(load_project(settings), storage, [path], now=NOW)
    assert not storage.root.exists()


def test_mislabelled_media_stops_publish(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    fake = settings.episodes_dir / "media" / "fake.mp3"
    shutil.copy(settings.episodes_dir / "media" / "on-tools.mp4", fake)
    path = make_episode("fake", audio="media/fake.mp3")
    with pytest.raises(MediaError, match="fake.mp3"):
        plan_publish(
            load_project(settings), LocalStorage(settings.root / "public"), [path], now=NOW
        )


def test_a_version_1_manifest_of_sha256_values_is_upgraded_on_the_next_publish(
    settings: Settings,
) -> None:
    storage = publish_sample(settings)
    manifest_file = storage.root / "showpipe" / "manifest.json"

    def as_version_1(value: object) -> object:
        """What development builds wrote: each file's SHA-256 where the digest is now."""
        if isinstance(value, dict):
            if "digest" in value:
                stored = storage.root / value["key"] if value["key"] else None
                sha256 = hashlib.sha256(stored.read_bytes()).hexdigest() if stored else ""
                value = {k: v for k, v in value.items() if k != "digest"} | {"sha256": sha256}
            return {k: as_version_1(v) for k, v in value.items()}
        return [as_version_1(v) for v in value] if isinstance(value, list) else value

    old = as_version_1(json.loads(manifest_file.read_bytes()) | {"version": 1})
    manifest_file.write_text(json.dumps(old))
    publish_sample(settings)
    upgraded = json.loads(manifest_file.read_bytes())
    assert upgraded["version"] == 2 and "sha256" not in manifest_file.read_text()
    stored = read_manifest(storage).stored_keys()
    assert len(stored) > 6
    for key, file in stored.items():
        assert file.digest == xxhash.xxh3_128_hexdigest((storage.root / key).read_bytes())
    _, parsed = parse(storage, "show")
    for item in parsed["episodes"]:
        assert stored_path(storage, item["enclosures"][0]["url"]).is_file()


def _audio_key(storage: LocalStorage, guid: str) -> str:
    return str(read_manifest(storage).episodes[guid].media["audio"].key)


def test_a_new_recording_gets_a_new_url_and_a_tag_change_keeps_it(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    from mediafactory import make_audio

    recording = settings.episodes_dir / "media" / "fresh.mp3"
    make_audio(recording, 1.0)
    path = make_episode("fresh", audio="media/fresh.mp3")
    storage = publish_sample(settings, [path])
    first = _audio_key(storage, "guid-fresh")
    path.write_text(path.read_text().replace("Episode fresh", "Episode fresh, typo fixed"))
    publish_sample(settings, [path])
    assert _audio_key(storage, "guid-fresh") == first
    make_audio(recording, 1.5, pitch=330.0)  # re-edited and exported again
    publish_sample(settings, [path])
    second = _audio_key(storage, "guid-fresh")
    assert second != first and (storage.root / second).is_file()


def test_media_published_before_keys_followed_recordings_keep_their_url(
    settings: Settings,
) -> None:
    storage = publish_sample(settings)
    guid = "0b6f2f5e-3d1c-4e0a-9a51-2f0c7f1d8e01"  # the pilot
    manifest_file = storage.root / "showpipe" / "manifest.json"
    data = json.loads(manifest_file.read_text())
    legacy = data["episodes"][guid]["media"]["audio"]
    old_key = legacy["key"].replace(legacy["key"][-16:-4], "0123456789ab")  # an older scheme
    (storage.root / old_key).write_bytes((storage.root / legacy["key"]).read_bytes())
    legacy.update(key=old_key, recording=None)
    manifest_file.write_text(json.dumps(data))

    path = settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", "title: The Pilot"))
    publish_sample(settings, [path])
    assert _audio_key(storage, guid) == old_key
    assert read_manifest(storage).episodes[guid].media["audio"].recording is not None
