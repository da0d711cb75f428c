"""The build cache's bookkeeping: its hash file (read by each run, never stale, and kept
tidy) and how tagged copies are found by name."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from mediafactory import make_audio

from sampleshow import TAGS
from showpipe.config import Settings
from showpipe.digests import file_digest
from showpipe.inputfiles import identity
from showpipe.media import BuildCache, HashCache, probe_image, probe_media, tagged_copy
from showpipe.media.episodes import check_episode
from showpipe.media.hashes import HASHES_FILE, VERSION
from showpipe.media.id3 import audio_region
from showpipe.model.project import load_project

# A remembered hash: these tests are about the bookkeeping, not the hash function.
HASH = "0123456789abcdef" * 4


def remembered(tmp_path: Path) -> Path:
    """A file whose hash a cache in tmp_path/cache has remembered and saved."""
    audio = tmp_path / "a.mp3"
    audio.write_bytes(b"a" * 100)
    cache = HashCache(tmp_path / "cache")
    cache.remember(audio, HASH)
    cache.save()
    return audio


def test_a_second_cache_sees_what_the_first_saved(tmp_path: Path) -> None:
    audio = remembered(tmp_path)
    assert HashCache(tmp_path / "cache").known(audio) == HASH


def test_a_file_rewritten_by_another_process_is_read_again(tmp_path: Path) -> None:
    audio, other = remembered(tmp_path), tmp_path / "b.mp3"
    other.write_bytes(b"b" * 100)
    # as another showpipe process would: a new file put in place
    found = identity(other, follow_links=True)
    assert found is not None
    entry = [*found, "f" * 64]
    data = {"version": VERSION, "files": {str(other.resolve()): entry}, "copies": {}, "probes": {}}
    tmp = tmp_path / "cache" / "new.json"
    tmp.write_text(json.dumps(data))
    os.replace(tmp, tmp_path / "cache" / HASHES_FILE)
    again = HashCache(tmp_path / "cache")
    assert again.known(other) == "f" * 64
    assert again.known(audio) is None


def test_files_that_are_gone_are_forgotten_when_saved(tmp_path: Path) -> None:
    audio = remembered(tmp_path)
    audio.unlink()
    saved = json.loads((tmp_path / "cache" / HASHES_FILE).read_text())
    assert str(audio.resolve()) in saved["files"]
    # A stale entry would be trusted by nothing (identity includes size, mtime and inode),
    # but it is not carried on: the next save drops it.
    os.utime(tmp_path / "cache" / HASHES_FILE, ns=(1, 1))
    reread = HashCache(tmp_path / "cache")
    reread.remember(tmp_path / "cache" / HASHES_FILE, HASH)
    reread.save()
    saved = json.loads((tmp_path / "cache" / HASHES_FILE).read_text())
    assert str(audio.resolve()) not in saved["files"]


def test_tagged_copies_are_found_by_label_content_key_and_tags(tmp_path: Path) -> None:
    a, b, c, d = "a" * 16, "b" * 16, "c" * 16, "d" * 16
    names = [
        f"ep-audio-{a}-{b}.mp3",  # the one with these tags
        f"ep-audio-{c}-{d}.mp3",  # other tags
        f"ep-audio-{a}-{b}.m4a",  # other format
        f"ep-audio-extra-{a}-{b}.mp3",  # another label that starts with this one
        f"ep-audio-{a}-{b}x.mp3",  # not a tags hash
        f"ep-audio-{a[:15]}-{b}.mp3",  # too short a content key
        f".tagging-ep-audio-{a}-{b}.mp3",  # a write in progress
    ]
    cache = BuildCache(tmp_path)
    assert cache.copies_of("ep-audio", ".mp3") == []  # no folder yet
    cache.copies_dir.mkdir()
    for name in names:
        (cache.copies_dir / name).write_bytes(b"")
    cache.changed()
    mine = cache.copies_of("ep-audio", ".mp3", b + "0" * 48)
    assert mine == [cache.copies_dir / names[0]]
    found = cache.copies_of("ep-audio", ".mp3")
    assert found == [cache.copies_dir / names[0], cache.copies_dir / names[1]]


def test_two_runs_caches_are_independent(tmp_path: Path) -> None:
    audio = remembered(tmp_path)
    first, second = HashCache(tmp_path / "cache"), HashCache(tmp_path / "cache")
    first.remember(audio, "f" * 32)  # not saved: a run that is still going
    assert second.known(audio) == HASH


def test_a_probe_is_remembered_until_the_file_changes(settings: Settings) -> None:
    """`showpipe tag` probes an episode's media and artwork; its `publish` finds them
    probed. A file replaced since is probed again: its new duration is the one used."""
    project = load_project(settings)
    episode = project.episode_at(settings.episodes_dir / "pilot.yaml")
    assert episode.audio is not None
    first = check_episode(project, episode, hashes=HashCache(settings.cache_dir))
    cache = HashCache(settings.cache_dir)
    assert cache.probed(episode.audio, "media") is None  # nothing saved yet
    cache = BuildCache(settings.cache_dir).hashes
    again = check_episode(project, episode, hashes=cache)
    cache.save()
    kept = HashCache(settings.cache_dir)
    assert kept.probed(episode.audio, "media") == [
        first[0].info.content_type,
        first[0].info.duration,
    ]
    assert again[0].info == first[0].info
    art = probe_image(first[0].feed.artwork)
    assert kept.probed(first[0].feed.artwork, "image") == [
        art.content_type,
        art.width,
        art.height,
        art.mode,
    ]
    shutil.copy(settings.episodes_dir / "media" / "listener-mail.mp3", episode.audio)
    replaced = check_episode(project, episode, hashes=kept)
    assert replaced[0].info == probe_media(episode.audio) != first[0].info


def test_a_hash_file_of_the_older_layout_is_not_read(tmp_path: Path) -> None:
    """Before the change time was part of a file's identity, entries were [size, mtime,
    inode, digest]: such a file is read as no cache, never as a digest of another file."""
    audio = tmp_path / "a.mp3"
    audio.write_bytes(b"a" * 100)
    found = audio.stat()
    old = {"files": {str(audio.resolve()): [found.st_size, found.st_mtime_ns, found.st_ino, HASH]}}
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / HASHES_FILE).write_text(json.dumps({**old, "copies": {}, "probes": {}}))
    assert HashCache(tmp_path / "cache").known(audio) is None


def edit_in_place(path: Path, data: bytes) -> None:
    """Write `data` (as long as what `path` holds) over `path` and put its modification time
    back, as a tool that keeps timestamps would: inode, size and modification time are as
    before; only the change time, which the kernel sets, shows it."""
    before = path.stat()
    assert len(data) == before.st_size and data != path.read_bytes()
    while time.time_ns() < before.st_ctime_ns + 50_000_000:  # a coarse clock tick later
        time.sleep(0.01)
    with path.open("r+b") as f:
        f.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def test_a_file_edited_in_place_with_its_time_put_back_is_read_again(tmp_path: Path) -> None:
    audio = tmp_path / "a.mp3"
    audio.write_bytes(b"a" * 100)
    cache = HashCache(tmp_path / "cache")
    first = cache.digest(audio)
    cache.keep_probe(audio, "media", ["audio/mpeg", 1.0])
    cache.save()
    assert HashCache(tmp_path / "cache").known(audio) == first
    edit_in_place(audio, b"b" * 100)
    again = HashCache(tmp_path / "cache")
    assert again.known(audio) is None
    assert again.probed(audio, "media") is None
    assert again.digest(audio) == file_digest(audio) != first


def test_a_recording_edited_in_place_with_its_time_put_back_is_tagged_again(
    tmp_path: Path,
) -> None:
    """The build cache finds a source's tagged copy by the source's identity, unread: an
    edit that keeps size and modification time must not find the copy of the old audio."""
    source = make_audio(tmp_path / "ep.mp3", 2.0)
    other = make_audio(tmp_path / "other.mp3", 2.0, pitch=660.0)
    first = tagged_copy(source, TAGS, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    again = tagged_copy(source, TAGS, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    assert again.reused and again.path == first.path
    edit_in_place(source, other.read_bytes())
    edited = tagged_copy(source, TAGS, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    assert not edited.reused and edited.digest != first.digest
    start, end = audio_region(other)
    assert edited.path.read_bytes()[audio_region(edited.path)[0] :] == other.read_bytes()[start:end]
