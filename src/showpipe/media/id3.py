"""MP3: an ID3v2 tag built in memory, written in front of the source's audio frames.

The frames are the ones Apple's own tools write for podcasts (docs/feed-rules.md, "Tags
inside media files"), and chapters follow the ID3v2 Chapter Frame Addendum: CHAP frames with
times in milliseconds, and one top-level, ordered CTOC.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import mutagen

from showpipe.media.copying import PrefixOutgrewRoom, copy_with_prefix
from showpipe.media.lazy import id3
from showpipe.media.tags import ChapterMark, Picture, ReadBack, TagSet

UTF8 = 3  # ID3v2.4 text encoding; mutagen converts to UTF-16 when saving v2.3
FRONT_COVER = 3  # APIC picture type
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets unused: times are authoritative
TOC_ID = "toc"
# Room left in the tag so a later in-place edit (by a podcaster's tool) needs no rewrite.
PADDING = 1024
# The kernel copies a file's page cache a whole folio (up to 64 KiB here) at a time only
# when source and copy agree on offsets modulo its size; otherwise each page is split and a
# copy takes ~40% longer. So the tag of a long recording is padded until its audio starts
# at the same offset modulo 64 KiB as in the source: at most 64 KiB on tens of megabytes.
ALIGNMENT = 1 << 16
ALIGN_FROM = 4 << 20  # bytes of audio; below, the padding would weigh more than it saves


def _picture(picture: Picture, description: str = "") -> id3.APIC:
    return id3.APIC(
        encoding=UTF8,
        mime=picture.content_type,
        type=FRONT_COVER,
        desc=description,
        data=picture.path.read_bytes(),
    )


def _chapter_frame(index: int, chapter: ChapterMark) -> id3.CHAP:
    sub_frames: list[id3.Frame] = [id3.TIT2(encoding=UTF8, text=[chapter.title])]
    if chapter.link:
        sub_frames.append(id3.WXXX(encoding=UTF8, desc="", url=chapter.link))
    if chapter.image:
        sub_frames.append(_picture(chapter.image, f"chapter {index + 1}"))
    return id3.CHAP(
        element_id=f"chp{index}",
        start_time=chapter.start_ms,
        end_time=chapter.end_ms,
        start_offset=NO_OFFSET,
        end_offset=NO_OFFSET,
        sub_frames=sub_frames,
    )


def _chapter_frames(chapters: tuple[ChapterMark, ...]) -> list[id3.Frame]:
    if not chapters:
        return []
    frames: list[id3.Frame] = [_chapter_frame(i, c) for i, c in enumerate(chapters)]
    toc = id3.CTOC(
        element_id=TOC_ID,
        flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
        child_element_ids=[f"chp{i}" for i in range(len(chapters))],
        sub_frames=[id3.TIT2(encoding=UTF8, text=["Chapters"])],
    )
    return [toc, *frames]


def build_id3(tags: TagSet) -> id3.ID3:
    """The complete ID3 tag for `tags` (not yet saved)."""
    frames: list[id3.Frame] = [
        id3.TIT2(encoding=UTF8, text=[tags.title]),
        # One string, not v2.4's multiple values: most players show only the first value.
        id3.TPE1(encoding=UTF8, text=[", ".join(tags.artists)]),
        id3.TALB(encoding=UTF8, text=[tags.album]),
        id3.TPE2(encoding=UTF8, text=[tags.album_artist]),
        id3.TDRC(encoding=UTF8, text=[tags.date]),
        id3.TCON(encoding=UTF8, text=[tags.genre]),
        id3.COMM(encoding=UTF8, lang="eng", desc="", text=[tags.summary]),
        id3.TDES(encoding=UTF8, text=[tags.description]),
        id3.PCST(value=1),
        id3.WFED(url=tags.feed_url),
    ]
    optional: list[tuple[object, id3.Frame]] = [
        (tags.guid, id3.TGID(encoding=UTF8, text=[tags.guid or ""])),
        (tags.episode, id3.TRCK(encoding=UTF8, text=[str(tags.episode)])),
        # Seasons as the "disc" (part of set), which players group by.
        (tags.season, id3.TPOS(encoding=UTF8, text=[str(tags.season)])),
        (tags.copyright, id3.TCOP(encoding=UTF8, text=[tags.copyright or ""])),
        (tags.category, id3.TCAT(encoding=UTF8, text=[tags.category or ""])),
        (tags.keywords, id3.TKWD(encoding=UTF8, text=[",".join(tags.keywords)])),
    ]
    frames += [frame for value, frame in optional if value]
    frames += [_picture(tags.cover)] if tags.cover else []
    frames += _chapter_frames(tags.chapters)
    tag = id3.ID3()
    for frame in frames:
        tag.add(frame)
    return tag


def tag_bytes(tags: TagSet, *, align_to: int | None = None, at_least: int = 0) -> bytes:
    """The ID3v2 tag for `tags`, serialised in the version `tags.id3_version` asks for.

    With `align_to`, the tag is padded to a length that is that offset modulo `ALIGNMENT`
    (see there) and at least `at_least` bytes.
    """
    tag = build_id3(tags)
    if tags.id3_version == 3:
        # Converts TDRC to TYER/TDAT; without it v2.3 would get a v2.4-only frame.
        tag.update_to_v23()

    def padding(info: mutagen.PaddingInfo) -> int:
        needed = -info.padding  # header and frames, written into an empty file
        if align_to is None:
            return PADDING
        length = max(needed + PADDING, at_least)
        return length - needed + (align_to - length) % ALIGNMENT

    buffer = io.BytesIO()
    tag.save(buffer, v1=0, v2_version=tags.id3_version, padding=padding)
    return buffer.getvalue()


def _room_for_tag(tags: TagSet, align_to: int) -> int:
    """A length the tag will fit in, as a rule, found without building it (see write_mp3).

    Its images, plus every field's text written out twice over (UTF-16, frame headers), plus
    the usual padding; then up to the next length that keeps the audio aligned.
    """
    pictures = [tags.cover, *(chapter.image for chapter in tags.chapters)]
    images = sum(picture.path.stat().st_size for picture in pictures if picture)
    estimate = images + 2 * len(repr(tags).encode()) + PADDING
    return estimate + (align_to - estimate) % ALIGNMENT


def audio_region(path: Path) -> tuple[int, int]:
    """Where the source's audio frames are: after any ID3v2 tags, before an ID3v1 tag.

    The source's own tags are replaced, not merged: the new tag is complete.
    """
    with path.open("rb") as f:
        size = f.seek(0, io.SEEK_END)
        start = 0
        while True:
            f.seek(start)
            header = f.read(10)
            if len(header) < 10 or header[:3] != b"ID3":
                break
            body = 0
            for byte in header[6:10]:  # synchsafe integer: 7 bits a byte
                body = (body << 7) | (byte & 0x7F)
            footer = 10 if header[5] & 0x10 else 0
            start += 10 + body + footer
        f.seek(max(size - 128, 0))
        end = size - 128 if size >= 128 and f.read(3) == b"TAG" else size
    return min(start, end), end


def write_mp3(source: Path, dest: Path, tags: TagSet, check: Callable[[], None]) -> str:
    """Write `dest`: the new tag, then the source's audio frames. Returns its digest.

    `check` (reading the tag back) runs while the audio frames are still being copied. For a
    long recording the copy starts even before the tag is built, at an estimated length
    the tag is then padded to; in the rare case the tag does not fit, the copy starts over.
    """
    span = start, end = audio_region(source)
    if end - start < ALIGN_FROM:
        prefix = tag_bytes(tags)
        return copy_with_prefix(lambda: prefix, len(prefix), source, span, dest, meanwhile=check)
    room = _room_for_tag(tags, start)
    try:
        return copy_with_prefix(
            lambda: tag_bytes(tags, align_to=start, at_least=room),
            room,
            source,
            span,
            dest,
            meanwhile=check,
        )
    except PrefixOutgrewRoom as e:
        prefix = e.prefix
    return copy_with_prefix(lambda: prefix, len(prefix), source, span, dest, meanwhile=check)


def read_mp3(path: Path) -> ReadBack:
    """Read back the values `write_mp3` wrote.

    Only the ID3v2 tag is read: the copy has no ID3v1 tag (`audio_region` leaves the
    source's out), and its end may still be being written.
    """
    tag = id3.ID3(path, load_v1=False)

    def text(key: str) -> str | None:
        frame = tag.get(key)
        return str(frame.text[0]) if frame is not None and frame.text else None

    artists = tag.get("TPE1")
    covers = [f for f in tag.getall("APIC") if f.type == FRONT_COVER]
    feed = tag.get("WFED")
    chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    return ReadBack(
        title=text("TIT2"),
        artists=", ".join(str(a) for a in artists.text) if artists else None,
        album=text("TALB"),
        genre=text("TCON"),
        guid=text("TGID"),
        feed_url=feed.url if feed is not None else None,
        cover_size=len(covers[0].data) if covers else None,
        chapters=tuple((c.start_time, str(c.sub_frames["TIT2"].text[0])) for c in chapters),
    )
