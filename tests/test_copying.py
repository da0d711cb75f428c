"""Tagged copies of long recordings: the kernel's copy, hashed on the way, exact and aligned."""

from __future__ import annotations

import io
import os
from pathlib import Path

import mutagen.id3
import pytest
import xxhash
from mediafactory import make_audio

from sampleshow import TAGS
from showpipe.media import BuildCache, id3, tagged_copy
from showpipe.media.copying import PrefixOutgrewRoom, _copy_range_by_reading, copy_with_prefix
from showpipe.media.id3 import ALIGN_FROM, ALIGNMENT, PADDING, audio_region


def long_recording(path: Path, tmp_path: Path) -> Path:
    """An MP3 over ALIGN_FROM bytes whose audio starts at an odd offset (its own ID3 tag)."""
    short = make_audio(tmp_path / "short.mp3", 2.0)
    start, end = audio_region(short)
    frames = short.read_bytes()[start:end]
    old = mutagen.id3.ID3()
    old.add(mutagen.id3.TIT2(encoding=3, text=["recorded in the DAW"]))
    header = io.BytesIO()
    old.save(header, v1=0, padding=lambda info: 777)
    path.write_bytes(header.getvalue() + frames * (ALIGN_FROM // len(frames) + 2))
    return path


def test_a_long_recordings_copy_is_its_audio_exactly_aligned_as_in_the_source(
    tmp_path: Path,
) -> None:
    source = long_recording(tmp_path / "long.mp3", tmp_path)
    before = source.read_bytes()
    copy = tagged_copy(source, TAGS, cache=BuildCache(tmp_path / "cache"), label="long-audio")
    assert source.read_bytes() == before
    data = copy.path.read_bytes()
    source_start, source_end = audio_region(source)
    copy_start, _ = audio_region(copy.path)
    assert source_start % ALIGNMENT != 0  # the case alignment is for
    assert copy_start % ALIGNMENT == source_start % ALIGNMENT
    assert data[copy_start:] == before[source_start:source_end]
    assert copy.digest == xxhash.xxh3_128_hexdigest(data) and copy.size == len(data)
    tag = mutagen.id3.ID3(copy.path)
    assert str(tag["TIT2"]) == "An hour, roughly" and "recorded in the DAW" not in str(tag.pprint())
    # the padding is zeros, at least the usual room for later edits
    assert len(data[:copy_start].rstrip(b"\0")) <= copy_start - PADDING


def test_a_short_recording_gets_the_usual_padding_only(media_dir: Path, tmp_path: Path) -> None:
    copy = tagged_copy(media_dir / "tone.mp3", TAGS, cache=BuildCache(tmp_path), label="short")
    start, _ = audio_region(copy.path)
    assert start - len(copy.path.read_bytes()[:start].rstrip(b"\0")) < PADDING + 16


def test_a_recording_that_changes_while_it_is_copied_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "source.mp3"
    source.write_bytes(os.urandom(3 << 20))

    def podcaster_saves_again() -> None:
        with source.open("ab") as f:
            f.write(b"more")

    with pytest.raises(OSError, match="changed while it was being copied"):
        copy_with_prefix(
            lambda: b"TAG",
            3,
            source,
            (0, 3 << 20),
            tmp_path / "copy.mp3",
            meanwhile=podcaster_saves_again,
        )


def test_a_prefix_longer_than_its_room_leaves_no_copy_behind(tmp_path: Path) -> None:
    source, dest = tmp_path / "source.mp3", tmp_path / "copy.mp3"
    source.write_bytes(os.urandom(1 << 20))
    with pytest.raises(PrefixOutgrewRoom) as raised:
        copy_with_prefix(lambda: b"x" * 5000, 4096, source, (0, 1 << 20), dest)
    assert raised.value.prefix == b"x" * 5000 and not dest.exists()


def test_a_tag_bigger_than_estimated_is_written_whole_all_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The estimate only decides where the copy starts; a wrong one costs a second copy."""
    source = long_recording(tmp_path / "long.mp3", tmp_path)
    start, end = audio_region(source)
    monkeypatch.setattr(id3, "_room_for_tag", lambda tags, align_to: align_to % ALIGNMENT)
    copy = tagged_copy(source, TAGS, cache=BuildCache(tmp_path / "cache"), label="long-audio")
    copy_start, _ = audio_region(copy.path)
    assert copy_start % ALIGNMENT == start % ALIGNMENT
    assert copy.path.read_bytes()[copy_start:] == source.read_bytes()[start:end]
    assert str(mutagen.id3.ID3(copy.path)["TIT2"]) == "An hour, roughly"


def test_the_copy_without_the_kernels_help_writes_the_same_bytes(tmp_path: Path) -> None:
    data = os.urandom((2 << 20) + 123)
    source, copy = tmp_path / "source", tmp_path / "copy"
    source.write_bytes(data)
    with source.open("rb") as src, copy.open("wb") as out:
        out.write(b"head")
        _copy_range_by_reading(src.fileno(), out.fileno(), 1000, len(data) - 7, 4)
    assert copy.read_bytes() == b"head" + data[1000:-7]
