"""Opus, Ogg Vorbis and FLAC: Vorbis comments, a picture block, CHAPTERxxx comments.

The podcast fields have no standard Vorbis comment names; these are the names Mp3tag and
foobar2000 map the ID3 podcast frames to (PODCAST, PODCASTID, PODCASTURL, PODCASTDESC …).
Chapters follow the Vorbis chapter extension: `CHAPTER001=00:00:00.000`, `CHAPTER001NAME=…`.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

import mutagen

from showpipe.media.lazy import flac, oggopus, oggvorbis
from showpipe.media.tags import ReadBack, TagSet
from showpipe.times import parse_clock, timestamp

FRONT_COVER = 3
_CHAPTER = re.compile(r"CHAPTER(\d{3})")


def _vorbis_files() -> tuple[type[Any], ...]:
    return flac.FLAC, oggopus.OggOpus, oggvorbis.OggVorbis


def _open(path: Path) -> Any:
    """The parsed file (typed Any: mutagen's tag classes are not annotated)."""
    parsed = mutagen.File(path, options=list(_vorbis_files()))
    if not isinstance(parsed, _vorbis_files()):
        raise mutagen.MutagenError(f"{path} is not FLAC, Opus or Ogg Vorbis")
    return parsed


def _comments(tags: TagSet) -> dict[str, list[str]]:
    comments = {
        "TITLE": [tags.title],
        "ARTIST": [", ".join(tags.artists)],  # one value, as the other formats write it
        "ALBUM": [tags.album],
        "ALBUMARTIST": [tags.album_artist],
        "DATE": [tags.date],
        "GENRE": [tags.genre],
        "DESCRIPTION": [tags.description],
        "COMMENT": [tags.summary],
        "PODCAST": ["1"],
        "PODCASTURL": [tags.feed_url],
        "PODCASTDESC": [tags.description],
    }
    optional = {
        "PODCASTID": tags.guid,
        "TRACKNUMBER": tags.episode,
        "DISCNUMBER": tags.season,
        "COPYRIGHT": tags.copyright,
        "PODCASTCATEGORY": tags.category,
        "PODCASTKEYWORDS": ",".join(tags.keywords),
    }
    comments.update({key: [str(value)] for key, value in optional.items() if value})
    for number, chapter in enumerate(tags.chapters, 1):
        key = f"CHAPTER{number:03d}"
        comments[key] = [timestamp(chapter.start)]
        comments[f"{key}NAME"] = [chapter.title]
        if chapter.link:
            comments[f"{key}URL"] = [chapter.link]
    return comments


def _picture(tags: TagSet) -> flac.Picture | None:
    if tags.cover is None:
        return None
    picture = flac.Picture()
    picture.type = FRONT_COVER
    picture.mime = tags.cover.content_type
    picture.data = tags.cover.path.read_bytes()
    return picture


def write_vorbis(source: Path, dest: Path, tags: TagSet) -> None:
    """Copy `source` to `dest`, then replace every comment and picture of the copy."""
    shutil.copyfile(source, dest)  # then tagged in place
    parsed = _open(dest)
    if parsed.tags is None:
        parsed.add_tags()
    parsed.tags.clear()
    for key, values in _comments(tags).items():
        parsed.tags[key] = values
    picture = _picture(tags)
    if isinstance(parsed, flac.FLAC):
        parsed.clear_pictures()
        if picture is not None:
            parsed.add_picture(picture)
    elif picture is not None:
        # Ogg has no picture block: the FLAC picture goes base64 in a comment.
        encoded = base64.b64encode(picture.write()).decode("ascii")
        parsed.tags["METADATA_BLOCK_PICTURE"] = [encoded]
    parsed.save()


def _seconds(text: str) -> float:
    try:
        return parse_clock(text)
    except ValueError:
        return -1.0  # not ours: read back as a mismatch, and the copy is refused


def read_chapters(comments: dict[str, list[str]]) -> tuple[tuple[int, str], ...]:
    """(start in ms, title) of every CHAPTERxxx comment, in order."""
    chapters = []
    for key, values in comments.items():
        if _CHAPTER.fullmatch(key):
            title = (comments.get(f"{key}NAME") or [""])[0]
            chapters.append((round(_seconds(values[0]) * 1000), title))
    return tuple(sorted(chapters))


def _cover_size(parsed: Any, comments: dict[str, list[str]]) -> int | None:
    if isinstance(parsed, flac.FLAC):
        pictures = [p for p in parsed.pictures if p.type == FRONT_COVER]
        return len(pictures[0].data) if pictures else None
    encoded = comments.get("METADATA_BLOCK_PICTURE")
    if not encoded:
        return None
    return len(flac.Picture(base64.b64decode(encoded[0])).data)


def read_vorbis(path: Path) -> ReadBack:
    """Read back the values `write_vorbis` wrote."""
    parsed = _open(path)
    comments: dict[str, list[str]] = {}
    for key, value in parsed.tags or []:
        comments.setdefault(key.upper(), []).append(value)

    def text(key: str) -> str | None:
        return comments[key][0] if key in comments else None

    return ReadBack(
        title=text("TITLE"),
        artists=", ".join(comments["ARTIST"]) if "ARTIST" in comments else None,
        album=text("ALBUM"),
        genre=text("GENRE"),
        guid=text("PODCASTID"),
        feed_url=text("PODCASTURL"),
        cover_size=_cover_size(parsed, comments),
        chapters=read_chapters(comments),
    )
