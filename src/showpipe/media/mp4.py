"""M4A / MP4: chapters by an FFmpeg remux (PyAV), then the iTunes atoms with mutagen.

mutagen reads but cannot write MP4 chapters. FFmpeg's MP4 muxer writes both the Nero `chpl`
atom and a QuickTime chapter track; `movflags=faststart` puts the `moov` atom first, as
progressive playback needs (docs/feed-rules.md, "Video feeds"). mutagen's tag save keeps both.
"""

from __future__ import annotations

from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from showpipe.errors import MediaError, shown
from showpipe.media.lazy import mp4
from showpipe.media.sources import for_ffmpeg
from showpipe.media.tags import ChapterMark, ReadBack, TagSet

if TYPE_CHECKING:  # PyAV is imported when an MP4 is remuxed: audio-only runs never need it
    import av

PODCAST = 21  # `stik` media kind 21 = Podcast (docs/feed-rules.md, "Tags inside media files")
MS = Fraction(1, 1000)
# The muxer per extension: "ipod" writes the M4A brand Apple's players expect.
MUXERS = {".m4a": "ipod", ".mp4": "mp4", ".m4v": "mp4"}


def _av_chapters(chapters: tuple[ChapterMark, ...]) -> list[dict[str, object]]:
    return [
        {
            "id": i + 1,
            "start": c.start_ms,
            "end": c.end_ms,
            "time_base": MS,
            "metadata": {"title": c.title},
        }
        for i, c in enumerate(chapters)
    ]


def is_media_stream(stream: av.stream.Stream) -> bool:
    """Audio or video, but not a cover image (FFmpeg shows `covr` as an attached picture)."""
    import av

    attached = bool(stream.disposition & av.stream.Disposition.attached_pic)
    return stream.type in ("audio", "video") and not attached


def remux_with_chapters(source: Path, dest: Path, chapters: tuple[ChapterMark, ...]) -> None:
    """Copy the audio and video streams of `source` into `dest` (no re-encoding), with chapters.

    The source's own chapter track and tags are not carried over: the new ones replace them.

    Raises:
        MediaError: FFmpeg could not read or write the file.
    """
    import av

    try:
        with ExitStack() as stack:
            src = stack.enter_context(av.open(stack.enter_context(for_ffmpeg(source)), "r"))
            out = stack.enter_context(
                av.open(
                    str(dest),
                    "w",
                    format=MUXERS[source.suffix.lower()],
                    options={"movflags": "+faststart"},
                )
            )
            wanted = [s for s in src.streams if is_media_stream(s)]
            streams = {s.index: out.add_stream_from_template(s) for s in wanted}
            out.set_chapters(_av_chapters(chapters))  # type: ignore[arg-type]
            for packet in src.demux(wanted):
                if packet.dts is None:  # the demuxer's end-of-stream marker
                    continue
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    except av.FFmpegError as e:
        raise MediaError(f"{shown(source)}: cannot remux to add chapters: {e}") from e


def _atoms(tags: TagSet) -> dict[str, list[object]]:
    atoms: dict[str, list[object]] = {
        "\xa9nam": [tags.title],
        "\xa9ART": [", ".join(tags.artists)],
        "aART": [tags.album_artist],
        "\xa9alb": [tags.album],
        "\xa9day": [tags.date],
        "\xa9gen": [tags.genre],
        "desc": [tags.summary],
        "ldes": [tags.description],
        "tvsh": [tags.album],
        "stik": [PODCAST],
        "pcst": [True],
        "purl": [tags.feed_url],
    }
    if tags.guid:
        atoms["egid"] = [tags.guid]
    if tags.episode:
        atoms["trkn"] = [(tags.episode, 0)]
        atoms["tves"] = [tags.episode]
    if tags.season:
        atoms["tvsn"] = [tags.season]
    if tags.episode and tags.season:
        atoms["tven"] = [f"S{tags.season:02d}E{tags.episode:02d}"]
    if tags.copyright:
        atoms["cprt"] = [tags.copyright]
    if tags.category:
        atoms["catg"] = [tags.category]
    if tags.keywords:
        atoms["keyw"] = [",".join(tags.keywords)]
    if tags.cover:
        data = tags.cover.path.read_bytes()
        formats = {"image/jpeg": mp4.MP4Cover.FORMAT_JPEG, "image/png": mp4.MP4Cover.FORMAT_PNG}
        atoms["covr"] = [mp4.MP4Cover(data, formats[tags.cover.content_type])]
    return atoms


def write_mp4(source: Path, dest: Path, tags: TagSet) -> None:
    """Write `dest`: the source's streams with chapters, then every iTunes atom.

    Remuxing even without chapters drops any old chapter track and puts `moov` first.
    """
    remux_with_chapters(source, dest, tags.chapters)
    parsed = mp4.MP4(dest)
    if parsed.tags is None:
        parsed.add_tags()
    assert parsed.tags is not None
    parsed.tags.clear()
    parsed.tags.update(_atoms(tags))
    parsed.save()


def read_mp4(path: Path) -> ReadBack:
    """Read back the values `write_mp4` wrote, chapters from the `chpl` atom."""
    parsed = mp4.MP4(path)
    tags = parsed.tags or mp4.MP4Tags()

    def text(key: str) -> str | None:
        values = tags.get(key)
        return str(values[0]) if values else None

    covers = tags.get("covr") or []
    chapters: list[Any] = list(parsed.chapters or [])
    return ReadBack(
        title=text("\xa9nam"),
        artists=text("\xa9ART"),
        album=text("\xa9alb"),
        genre=text("\xa9gen"),
        guid=text("egid"),
        feed_url=text("purl"),
        cover_size=len(bytes(covers[0])) if covers else None,
        chapters=tuple((round(c.start * 1000), c.title) for c in chapters),
    )
