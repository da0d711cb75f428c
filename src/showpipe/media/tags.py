"""What goes into a media file's tags, independent of the tag format that carries it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from showpipe.digests import data_digest

# Bump when the writers change what they write, so cached tagged copies are rebuilt.
TAGGER_VERSION = 2


@dataclass(frozen=True)
class Picture:
    """An image to embed: the cover, or a chapter's image."""

    path: Path
    content_type: str  # image/jpeg or image/png


@dataclass(frozen=True)
class ChapterMark:
    """One chapter, with its end already known (the next start, or the end of the media)."""

    start: float  # seconds
    end: float
    title: str
    link: str | None = None
    image: Picture | None = None

    @property
    def start_ms(self) -> int:
        return round(self.start * 1000)

    @property
    def end_ms(self) -> int:
        return round(self.end * 1000)


@dataclass(frozen=True)
class TagSet:
    """Every value written into one media file.

    `summary` is the one-line description, `description` the long one (Markdown text).
    `artists` are the hosts; `album` is the show (the feed's title).
    """

    title: str
    artists: tuple[str, ...]
    album: str
    album_artist: str
    date: str  # ISO 8601 date of publication, e.g. 2026-11-16
    summary: str
    description: str
    feed_url: str
    guid: str | None = None
    episode: int | None = None
    season: int | None = None
    copyright: str | None = None
    category: str | None = None
    keywords: tuple[str, ...] = ()
    cover: Picture | None = None
    chapters: tuple[ChapterMark, ...] = field(default_factory=tuple)
    genre: str = "Podcast"
    id3_version: int = 4  # 3 for old car stereos; MP3 only


def fingerprint(tags: TagSet, suffix: str, hash_file: Callable[[Path], str]) -> str:
    """A hash of everything a tagged copy depends on besides its source's content.

    Images count by content (`hash_file`), not by path, so new artwork means new tags. The
    ID3 version only matters for MP3, so it is left out for other formats.
    """

    def encode(value: Any) -> Any:
        # One walk over the dataclasses (asdict would copy them all first).
        if isinstance(value, Path):
            return hash_file(value)
        if is_dataclass(value):
            return {f.name: encode(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, list | tuple):
            return [encode(v) for v in value]
        return value

    data = encode(tags)
    if suffix != ".mp3":
        data.pop("id3_version")
    data.update(tagger=TAGGER_VERSION, suffix=suffix)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return data_digest(text.encode())


@dataclass(frozen=True)
class ReadBack:
    """The values checked after writing, as any tag format reads them back."""

    title: str | None
    artists: str | None  # the hosts, joined with ", "
    album: str | None
    genre: str | None
    guid: str | None
    feed_url: str | None
    cover_size: int | None
    chapters: tuple[tuple[int, str], ...]  # (start in ms, title)


def expected_readback(tags: TagSet) -> ReadBack:
    """What reading `tags` back from a file must give."""
    cover_size = tags.cover.path.stat().st_size if tags.cover else None
    return ReadBack(
        title=tags.title,
        artists=", ".join(tags.artists),
        album=tags.album,
        genre=tags.genre,
        guid=tags.guid,
        feed_url=tags.feed_url,
        cover_size=cover_size,
        chapters=tuple((c.start_ms, c.title) for c in tags.chapters),
    )


def mismatches(expected: ReadBack, actual: ReadBack) -> list[str]:
    """The names of the fields that differ, each with what was expected and found."""
    found = asdict(actual)
    return [
        f"{name} (wrote {value!r}, read {found[name]!r})"
        for name, value in asdict(expected).items()
        if found[name] != value
    ]
