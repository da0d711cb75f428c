"""Tagging real media files, read back with mutagen and, independently, with FFmpeg (PyAV)."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import mutagen
import mutagen.flac
import mutagen.id3
import mutagen.mp4
import pytest
from mediafactory import make_artwork, make_audio, make_video

from sampleshow import file_digest as digest
from sampleshow import opens_of
from showpipe.errors import MediaError, shown
from showpipe.media import (
    BuildCache,
    ChapterMark,
    HashCache,
    Picture,
    TagSet,
    find_tagged_copy,
    probe_media,
    tagged_copy,
    verify_tags,
)
from showpipe.media.id3 import audio_region
from showpipe.media.mp4 import is_media_stream

FORMATS = ["tone.mp3", "tone.m4a", "clip.mp4", "tone.opus", "tone.flac"]


@pytest.fixture
def sources(media_dir: Path) -> Path:
    return media_dir


@pytest.fixture
def source(sources: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A private copy of one source file, so a test may touch or replace it."""
    return Path(shutil.copy(sources / request.param, tmp_path / request.param))


def make_tags(sources: Path, **overrides: object) -> TagSet:
    tags = TagSet(
        title="Ünïcode & Friends",
        artists=("Ada Lovelace", "Grace Hopper"),
        album="The Sample Show",
        album_artist="Ada & Grace",
        date="2026-11-16",
        summary="One line about it.",
        description="A *long* description.\n\nWith two paragraphs.",
        feed_url="http://localhost:8000/feeds/show.xml",
        guid="5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02",
        episode=2,
        season=1,
        copyright="© 2026 Ada",
        category="Technology",
        keywords=("tools", "microphones"),
        cover=Picture(sources / "cover.png", "image/png"),
        chapters=(
            ChapterMark(
                0.0,
                0.75,
                "Intro",
                link="https://example.com/intro",
                image=Picture(sources / "chapter.jpg", "image/jpeg"),
            ),
            ChapterMark(0.75, 1.5, "Middle – part two"),
        ),
    )
    return replace(tags, **overrides)  # type: ignore[arg-type]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("source", FORMATS, indirect=True)
def test_ffmpeg_reads_the_tags_and_chapters_and_the_source_is_untouched(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    before = sha(source)
    tags = make_tags(sources)
    if source.suffix == ".mp3":
        # FFmpeg reads ID3v2.4 sub-frame sizes as plain integers, not synchsafe, so it drops
        # a v2.4 chapter with an image; see test_id3v23_for_old_players for images.
        tags = replace(tags, chapters=tuple(replace(c, image=None) for c in tags.chapters))
    copy = tagged_copy(source, tags, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    assert sha(source) == before
    assert copy.path.parent == tmp_path / "cache" / "tagged" and not copy.reused
    assert (copy.size, copy.digest) == (copy.path.stat().st_size, digest(copy.path))
    assert probe_media(copy.path).duration == pytest.approx(probe_media(source).duration)
    with av.open(str(copy.path)) as container:
        # Ogg keeps its comments on the stream, the other formats on the container.
        found = {**container.metadata, **container.streams.audio[0].metadata}
        metadata = {k.lower(): v for k, v in found.items()}
        chapters = sorted(
            (c["start"] * Fraction(c["time_base"]) * 1000, c["metadata"].get("title"))
            for c in container.chapters()
        )
        duration = container.duration / av.time_base
    assert metadata["title"] == "Ünïcode & Friends"
    assert metadata["artist"] == "Ada Lovelace, Grace Hopper"
    assert metadata["album"] == "The Sample Show"
    assert metadata["genre"] == "Podcast"
    assert chapters == [(0, "Intro"), (750, "Middle – part two")]
    assert duration == pytest.approx(2.0, abs=0.15)


@pytest.mark.parametrize("source", ["tone.mp3"], indirect=True)
def test_mp3_has_apples_podcast_frames_and_chapter_frames(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    tags = make_tags(sources)
    path = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep-audio").path
    tag = mutagen.id3.ID3(path)
    assert tag.version == (2, 4, 0)
    assert tag["PCST"].value == 1
    assert tag["TGID"].text == [tags.guid]
    assert tag["WFED"].url == tags.feed_url
    assert tag["TDES"].text == [tags.description]
    assert tag["TRCK"].text == ["2"] and tag["TPOS"].text == ["1"]
    assert str(tag["TDRC"].text[0]) == "2026-11-16"
    [cover] = tag.getall("APIC")
    assert cover.type == 3 and cover.data == (sources / "cover.png").read_bytes()
    [toc] = tag.getall("CTOC")
    assert toc.flags == mutagen.id3.CTOCFlags.TOP_LEVEL | mutagen.id3.CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1"]
    intro, middle = (tag[f"CHAP:{i}"] for i in toc.child_element_ids)
    assert (intro.start_time, intro.end_time, middle.end_time) == (0, 750, 1500)
    assert intro.sub_frames["WXXX:"].url == "https://example.com/intro"
    assert intro.sub_frames.getall("APIC")[0].data == (sources / "chapter.jpg").read_bytes()
    # the audio frames are the source's, byte for byte
    start, end = audio_region(source)
    assert path.read_bytes().endswith(source.read_bytes()[start:end])


@pytest.mark.parametrize("source", ["tone.mp3"], indirect=True)
def test_id3v23_for_old_players(source: Path, sources: Path, tmp_path: Path) -> None:
    tags = make_tags(sources, id3_version=3)
    path = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep-audio").path
    tag = mutagen.id3.ID3(path, translate=False)
    assert tag.version == (2, 3, 0)
    assert "TDRC" not in tag and tag["TYER"].text == ["2026"]
    assert len(tag.getall("CHAP")) == 2
    assert (
        tag["CHAP:chp0"].sub_frames.getall("APIC")[0].data
        == tags.chapters[0].image.path.read_bytes()
    )  # type: ignore[union-attr]
    with av.open(str(path)) as container:
        assert container.metadata["title"] == tags.title
        # with v2.3 FFmpeg reads chapters whose sub-frames are large (an image)
        assert sorted(c["start"] for c in container.chapters()) == [0, 750]


@pytest.mark.parametrize("source", ["clip.mp4", "tone.m4a"], indirect=True)
def test_mp4_atoms_chapters_and_fast_start(source: Path, sources: Path, tmp_path: Path) -> None:
    tags = make_tags(sources)
    path = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep-video").path
    parsed = mutagen.mp4.MP4(path)
    atoms = parsed.tags
    assert atoms["stik"] == [21] and atoms["pcst"] is True
    assert atoms["purl"] == [tags.feed_url] and atoms["egid"] == [tags.guid]
    assert atoms["tvsh"] == ["The Sample Show"] and atoms["tvsn"] == [1] and atoms["tves"] == [2]
    assert atoms["trkn"] == [(2, 0)] and atoms["aART"] == ["Ada & Grace"]
    assert atoms["desc"] == [tags.summary] and atoms["ldes"] == [tags.description]
    assert bytes(atoms["covr"][0]) == (sources / "cover.png").read_bytes()
    assert [(c.start, c.title) for c in parsed.chapters] == [
        (0.0, "Intro"),
        (0.75, tags.chapters[1].title),
    ]
    with path.open("rb") as f:
        atoms = mutagen.mp4.Atoms(f)
        top = [atom.name for atom in atoms.atoms]
        # both chapter forms: Nero's chpl, and a QuickTime chapter (text) track
        assert atoms.path(b"moov", b"udta", b"chpl")
        handlers = []
        for hdlr in atoms[b"moov"].findall(b"hdlr", recursive=True):
            f.seek(hdlr.offset + 16)
            handlers.append(f.read(4))
    assert b"text" in handlers
    assert top.index(b"moov") < top.index(b"mdat")
    # stream copy: the same packets, no re-encoding
    assert _packets(path) == _packets(source)


def _packets(path: Path) -> dict[str, list[bytes]]:
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if is_media_stream(s)]
        found: dict[str, list[bytes]] = {s.type: [] for s in streams}
        for packet in container.demux(streams):
            if packet.size:
                found[packet.stream.type].append(bytes(packet))
    return found


@pytest.mark.parametrize("source", ["tone.opus", "tone.flac"], indirect=True)
def test_vorbis_comments_picture_and_chapters(source: Path, sources: Path, tmp_path: Path) -> None:
    tags = make_tags(sources)
    parsed = mutagen.File(
        tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep-audio").path
    )
    comments = parsed.tags
    assert comments["TITLE"] == [tags.title] and comments["TRACKNUMBER"] == ["2"]
    assert comments["DATE"] == ["2026-11-16"] and comments["PODCASTURL"] == [tags.feed_url]
    assert comments["CHAPTER001"] == ["00:00:00.000"] and comments["CHAPTER002"] == ["00:00:00.750"]
    assert comments["CHAPTER001NAME"] == ["Intro"]
    assert comments["CHAPTER001URL"] == ["https://example.com/intro"]
    if isinstance(parsed, mutagen.flac.FLAC):
        picture = parsed.pictures[0]
    else:
        picture = mutagen.flac.Picture(base64.b64decode(comments["METADATA_BLOCK_PICTURE"][0]))
    assert picture.type == 3 and picture.data == (sources / "cover.png").read_bytes()


@pytest.mark.parametrize("source", ["tone.mp3", "clip.mp4"], indirect=True)
def test_unchanged_source_and_tags_reuse_the_copy_without_reading_the_source(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    tags = make_tags(sources)
    first = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep")
    written = first.path.stat().st_mtime_ns
    again = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep")
    assert again.reused and again.path == first.path and again.digest == first.digest
    assert again.path.stat().st_mtime_ns == written
    # Same bytes at a new path (a moved recording): found by content, not retagged.
    moved = Path(shutil.copy(source, tmp_path / f"moved{source.suffix}"))
    assert tagged_copy(moved, tags, cache=BuildCache(tmp_path), label="ep").path == first.path
    # Touched, same content: compared by content once more, and still reused.
    os.utime(source, ns=(1, 1))
    assert tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep").path == first.path


@pytest.mark.parametrize("source", ["tone.mp3", "clip.mp4"], indirect=True)
def test_an_unchanged_source_is_not_even_read(source: Path, sources: Path, tmp_path: Path) -> None:
    tags = make_tags(sources)
    first = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep")
    # The recording's identity is unchanged: the cache trusts it without opening it.
    with opens_of(source) as opens:
        again = tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep")
    assert again.reused and again.path == first.path
    assert opens == []
    # A real change of content (and so of mtime) is noticed.
    make_audio(source, 1.0) if source.suffix == ".mp3" else make_video(source, 1.0)
    assert not tagged_copy(source, tags, cache=BuildCache(tmp_path), label="ep").reused
    assert HashCache(tmp_path).known(source) in (None, digest(source))


@pytest.mark.parametrize("source", ["tone.mp3"], indirect=True)
def test_new_tags_or_new_audio_make_a_new_copy_and_drop_the_old(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    first = tagged_copy(source, make_tags(sources), cache=BuildCache(tmp_path), label="ep")
    retitled = tagged_copy(
        source, make_tags(sources, title="New"), cache=BuildCache(tmp_path), label="ep"
    )
    assert not retitled.reused and retitled.path != first.path
    assert not first.path.exists()
    make_audio(source, 1.0, pitch=300.0)  # a re-exported recording
    redone = tagged_copy(
        source, make_tags(sources, title="New"), cache=BuildCache(tmp_path), label="ep"
    )
    assert not redone.reused and redone.digest != retitled.digest
    assert [p.name for p in (tmp_path / "tagged").iterdir()] == [redone.path.name]


@pytest.mark.parametrize("source", ["tone.flac"], indirect=True)
def test_new_cover_content_at_the_same_path_retags(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    cover = Path(shutil.copy(sources / "cover.png", tmp_path / "cover.png"))
    tags = make_tags(sources, cover=Picture(cover, "image/png"))
    first = tagged_copy(source, tags, cache=BuildCache(tmp_path / "c"), label="ep")
    make_artwork(cover, 80, color=(0, 0, 0))
    assert not tagged_copy(source, tags, cache=BuildCache(tmp_path / "c"), label="ep").reused
    assert not first.path.exists()


@pytest.mark.parametrize("source", ["tone.mp3", "tone.m4a", "tone.opus"], indirect=True)
def test_read_back_mismatch_names_the_file_and_the_fields(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    copy = tagged_copy(source, make_tags(sources), cache=BuildCache(tmp_path), label="ep")
    other = make_tags(sources, title="Something else", chapters=())
    with pytest.raises(MediaError) as raised:
        verify_tags(copy.path, other, name=source)
    message = str(raised.value)
    assert message.startswith(f"{shown(source)}: tags read back differ")
    assert "title (wrote 'Something else', read 'Ünïcode & Friends')" in message
    assert "chapters (wrote ()" in message


@pytest.mark.parametrize("source", ["tone.mp3"], indirect=True)
def test_existing_tags_of_the_source_are_replaced(
    source: Path, sources: Path, tmp_path: Path
) -> None:
    old = mutagen.id3.ID3()
    old.add(mutagen.id3.TIT2(encoding=3, text=["Old title"]))
    old.add(mutagen.id3.CHAP(element_id="old", start_time=0, end_time=10, sub_frames=[]))
    old.save(source)
    with source.open("ab") as f:
        f.write(b"TAG" + b"\0" * 125)  # an ID3v1 tag at the end
    path = tagged_copy(source, make_tags(sources), cache=BuildCache(tmp_path), label="ep").path
    tag = mutagen.id3.ID3(path)
    assert tag["TIT2"].text == ["Ünïcode & Friends"] and len(tag.getall("CHAP")) == 2
    assert not path.read_bytes().endswith(b"\0" * 125)


def test_a_copy_deleted_from_the_cache_meanwhile_is_written_again(
    media_dir: Path, tmp_path: Path
) -> None:
    """Within one process too: the cache's listing is remembered, the file is not trusted."""
    source = Path(shutil.copy(media_dir / "tone.mp3", tmp_path / "tone.mp3"))
    tags = make_tags(media_dir)
    first = tagged_copy(source, tags, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    assert find_tagged_copy(source, tags, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    folder = first.path.parent
    stamp = folder.stat().st_mtime_ns
    first.path.unlink()
    os.utime(folder, ns=(stamp, stamp))  # as if within the same clock tick
    again = tagged_copy(source, tags, cache=BuildCache(tmp_path / "cache"), label="ep-audio")
    assert not again.reused and again.path.is_file()
    assert again.digest == first.digest  # the same bytes, written again
