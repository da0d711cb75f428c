"""Publishing from a master: the feed gets a tagged MP3 and a tagged Opus alternate, both at
the loudness target, and a republish or a text-only edit encodes nothing again."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import av
import mutagen.mp3
import mutagen.oggopus
import numpy as np
import pyloudnorm
import pytest
from click.testing import Result
from lxml import etree

from masters import at_loudness, decode, speech_like, write_master
from sampleshow import publish_sample
from showpipe.config import Settings
from showpipe.digests import file_digest
from showpipe.errors import EpisodeError, MediaError
from showpipe.media.encode import encode_rendition, settings_for

PODCAST = "https://podcastindex.org/namespace/1.0"
SECONDS = 4.0


@pytest.fixture
def master(project: Path) -> Path:
    samples = at_loudness(speech_like(SECONDS, 48000, 2), 48000, -26.0)
    return write_master(project / "episodes" / "media" / "master.wav", samples, 48000, "wav24")


@pytest.fixture
def with_opus_alternate(project: Path) -> None:
    feed = project / "feeds" / "show.yaml"
    feed.write_text(feed.read_text() + "encoding:\n  alternates:\n    - format: opus\n")


def _item_files(storage_root: Path, guid: str) -> dict[str, Path]:
    """The enclosure and alternates of one item of the audio feed, by content type."""
    tree = etree.parse(str(storage_root / "feeds" / "show.xml"))
    item = tree.xpath("//item[guid=$g]", g=guid)[0]
    urls = {item.find("enclosure").get("type"): item.find("enclosure").get("url")}
    for alternate in item.iterfind(f"{{{PODCAST}}}alternateEnclosure"):
        urls[alternate.get("type")] = alternate.find(f"{{{PODCAST}}}source").get("uri")
    prefix = "http://localhost:8000/"
    return {kind: storage_root / url.removeprefix(prefix) for kind, url in urls.items()}


def _lufs(path: Path) -> float:
    samples, rate = decode(path)
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def _renditions(settings: Settings) -> dict[str, int]:
    folder = settings.cache_dir / "renditions"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


@pytest.mark.usefixtures("with_opus_alternate")
def test_a_wav_master_is_published_as_tagged_renditions_at_the_target(
    settings: Settings, make_episode: Callable[..., Path], master: Path
) -> None:
    before = file_digest(master)
    chapters = [{"start": 0, "title": "Hello"}, {"start": 2, "title": "Mail"}]
    episode = make_episode("mastered", audio="media/master.wav", chapters=chapters)

    storage = publish_sample(settings, [episode])

    files = _item_files(storage.root, "guid-mastered")
    assert set(files) == {"audio/mpeg", "audio/ogg"}
    mp3 = mutagen.mp3.MP3(files["audio/mpeg"])
    assert str(mp3.tags["TIT2"]) == "Episode mastered"
    marks = sorted(mp3.tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, str(c.sub_frames["TIT2"])) for c in marks] == [
        (0, "Hello"),
        (2000, "Mail"),
    ]
    opus = mutagen.oggopus.OggOpus(files["audio/ogg"])
    assert opus.tags["title"] == ["Episode mastered"]
    assert opus.tags["CHAPTER002NAME"] == ["Mail"]
    for path in files.values():  # FFmpeg, as players built on it, finds the chapters too
        with av.open(str(path)) as container:
            found = [
                (c["start"] * c["time_base"], c["metadata"]["title"]) for c in container.chapters()
            ]
        assert sorted(found) == [(0, "Hello"), (2, "Mail")]
    for path in files.values():
        assert _lufs(path) == pytest.approx(-16.0, abs=0.5)
    assert file_digest(master) == before


@pytest.mark.usefixtures("with_opus_alternate")
def test_republishing_or_editing_text_encodes_nothing(
    settings: Settings, make_episode: Callable[..., Path], master: Path
) -> None:
    episode = make_episode("mastered", audio="media/master.wav")
    publish_sample(settings, [episode])
    made = _renditions(settings)
    assert len([name for name in made if not name.endswith(".json")]) == 2

    publish_sample(settings, [episode])
    make_episode("mastered", audio="media/master.wav", summary="A new summary.")
    publish_sample(settings, [episode])

    assert _renditions(settings) == made


def test_a_new_loudness_target_makes_a_new_rendition(
    project: Path, settings: Settings, make_episode: Callable[..., Path], master: Path
) -> None:
    episode = make_episode("mastered", audio="media/master.wav")
    publish_sample(settings, [episode])
    feed = project / "feeds" / "show.yaml"
    feed.write_text(feed.read_text() + "encoding:\n  loudness: -20\n")

    storage = publish_sample(settings, [episode])

    assert _lufs(_item_files(storage.root, "guid-mastered")["audio/mpeg"]) == pytest.approx(
        -20.0, abs=0.5
    )


def test_an_undecodable_master_is_refused_at_its_line(
    project: Path, settings: Settings, make_episode: Callable[..., Path]
) -> None:
    (project / "episodes" / "media" / "broken.wav").write_bytes(b"RIFF....WAVEjunk" * 64)
    episode = make_episode("broken", audio="media/broken.wav")

    with pytest.raises(MediaError, match=r"episodes/broken\.yaml:\d+: audio: .*broken\.wav"):
        publish_sample(settings, [episode])
    assert not (project / "public").exists()


def test_chapters_past_the_end_of_a_master_are_refused(
    settings: Settings, make_episode: Callable[..., Path], master: Path
) -> None:
    chapters = [{"start": 0, "title": "Hello"}, {"start": 10, "title": "Too late"}]
    episode = make_episode("long", audio="media/master.wav", chapters=chapters)

    with pytest.raises(EpisodeError, match=r"chapters\[1\]\.start: .*master\.wav, which lasts"):
        publish_sample(settings, [episode])


def test_dry_run_and_check_print_the_loudness_and_gain(
    run: Callable[..., Result], make_episode: Callable[..., Path], master: Path
) -> None:
    make_episode("mastered", audio="media/master.wav")

    dry = run("publish", "--dry-run", "episodes/mastered.yaml")
    checked = run("check")

    assert dry.exit_code == 0, dry.output
    line = (
        r"loudness episodes/media/master\.wav -> mp3 128k: -2[56]\.\d LUFS, LRA [\d.]+ LU, "
        r"peak -[\d.]+ dBTP; gain \+1[01]\.\d dB"
    )
    assert re.search(line, dry.output)
    assert re.search(r"gain .* dB; out -1(5\.[5-9]|6\.[0-5]) LUFS, -[\d.]+ dBTP", dry.output)
    assert checked.exit_code == 0, checked.output
    assert re.search(line, checked.output)


def test_check_warns_of_an_encoded_file_far_from_the_target(
    project: Path, run: Callable[..., Result], make_episode: Callable[..., Path], master: Path
) -> None:
    quiet = project / "episodes" / "media" / "quiet.mp3"
    encode_rendition(master, quiet, settings_for("mp3", loudness=-24))
    make_episode("quiet", audio="media/quiet.mp3")

    result = run("check")

    assert result.exit_code == 0, result.output
    warning = (
        r"episodes/media/quiet\.mp3: warning: -24\.\d LUFS.*more than 2 LU from the feed's -16 LUFS"
    )
    assert re.search(warning, result.output)
    assert "quiet.mp3 -> mp3" not in result.output  # published as it is, not encoded


def test_an_audio_only_file_given_as_video_is_refused(
    project: Path, settings: Settings, make_episode: Callable[..., Path], media_dir: Path
) -> None:
    shutil.copy(media_dir / "tone.m4a", project / "episodes" / "media" / "sound.mp4")
    episode = make_episode("sound", video="media/sound.mp4")

    with pytest.raises(MediaError, match=r"sound\.yaml:\d+: video: .*sound\.mp4: has no video"):
        publish_sample(settings, [episode])
    assert not (project / "public").exists()


def test_an_alternate_the_episode_lists_is_published_tagged(settings: Settings) -> None:
    storage = publish_sample(settings)

    files = _item_files(storage.root, "5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02")
    opus = mutagen.oggopus.OggOpus(files["audio/ogg"])
    assert opus.tags["title"] == ["On Tools"]
    assert opus.tags["CHAPTER001NAME"]
    assert "METADATA_BLOCK_PICTURE" in opus.tags  # the cover


def test_an_encoded_file_is_reencoded_only_when_the_feed_asks(
    project: Path, settings: Settings
) -> None:
    pilot = project / "episodes" / "pilot.yaml"
    guid = "0b6f2f5e-3d1c-4e0a-9a51-2f0c7f1d8e01"
    as_is = _item_files(publish_sample(settings, [pilot]).root, guid)["audio/mpeg"]
    assert _lufs(as_is) == pytest.approx(-18.4, abs=0.5)  # the sample's own level
    feed = project / "feeds" / "show.yaml"
    feed.write_text(feed.read_text() + "encoding:\n  reencode: true\n  channels: 1\n")

    again = _item_files(publish_sample(settings, [pilot]).root, guid)["audio/mpeg"]

    assert _lufs(again) == pytest.approx(-19.0, abs=0.5)  # the mono target
    assert mutagen.mp3.MP3(again).info.bitrate == 64_000  # the mono default


def test_a_silent_master_is_refused_at_its_line(
    project: Path, settings: Settings, make_episode: Callable[..., Path]
) -> None:
    silence = np.zeros((48000 * 2, 2))
    write_master(project / "episodes" / "media" / "quiet.wav", silence, 48000, "wav16")
    episode = make_episode("quiet", audio="media/quiet.wav")

    with pytest.raises(MediaError, match=r"quiet\.yaml:\d+: audio: .*quiet\.wav: is silent"):
        publish_sample(settings, [episode])
    assert not (project / "public").exists()
