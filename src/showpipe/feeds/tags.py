"""The values a feed's extensions write (`feeds.extensions`): frozen, decided by `build.py` for
the channel and `item.py` for each item, so what goes into a feed is decided in one place and
written in another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ValueRecipientTag:
    name: str | None
    type: str
    address: str
    split: int
    fee: bool = False
    custom_key: str | None = None
    custom_value: str | None = None


@dataclass(frozen=True)
class ValueTag:
    """podcast:value (value-for-value): the show's or an episode's payment recipients
    (https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/tags/value.md)."""

    type: str
    method: str
    suggested: str | None
    recipients: Sequence[ValueRecipientTag]


@dataclass(frozen=True)
class PersonTag:
    name: str
    role: str
    group: str | None = None
    img: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class TrailerTag:
    title: str
    url: str
    pubdate: str
    length: int
    type: str
    season: int | None = None


@dataclass(frozen=True)
class ChannelTags:
    """The channel's Podcasting 2.0 tags (docs/feed-rules.md, "Podcasting 2.0")."""

    guid: str
    medium: str
    locked: bool
    owner_email: str
    persons: Sequence[PersonTag] = ()
    funding: Sequence[tuple[str, str]] = ()  # (url, text)
    license: tuple[str, str | None] | None = None  # (slug, url)
    trailers: Sequence[TrailerTag] = ()
    podroll: Sequence[tuple[str, str | None]] = ()  # (feed guid, feed url)
    update_frequency: tuple[str, str | None, bool] | None = None  # (text, rrule, complete)
    value: ValueTag | None = None


@dataclass(frozen=True)
class Source:
    """One rendition of an episode, for podcast:alternateEnclosure."""

    url: str
    type: str
    length: int
    title: str
    duration: float | None = None
    sri: str | None = None
    height: int | None = None


@dataclass(frozen=True)
class Transcript:
    url: str
    type: str
    language: str
    captions: bool


@dataclass(frozen=True)
class ChapterMark:
    start: float
    title: str
    href: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Poster:
    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class ItemTags:
    """An item's Podcasting 2.0 tags."""

    persons: Sequence[PersonTag] = ()
    season: tuple[int, str] | None = None
    episode: int | None = None
    chapters_url: str | None = None
    transcripts: Sequence[Transcript] = ()
    alternates: Sequence[Source] = ()
    soundbites: Sequence[tuple[float, float, str | None]] = ()  # (start, duration, title)
    poster: Poster | None = None
    value: ValueTag | None = None


@dataclass(frozen=True)
class MediaTags:
    """Media RSS for video items: the video as media:content, and a thumbnail."""

    content: Source
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = None
