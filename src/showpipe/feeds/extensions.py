"""Our feedgen extensions: Podcasting 2.0 (`podcast:`), Media RSS (`media:`), Podlove Simple
Chapters (`psc:`), and itunes:explicit, block and complete as Apple now wants them.

feedgen calls `extend_rss` on each registered extension after it has written its own tags.
Each extension holds frozen values (`feeds.tags`, set by `build.py` and `item.py`) and only
turns them into elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from showpipe.feeds.tags import (
    ChannelTags,
    ChapterMark,
    ItemTags,
    MediaTags,
    PersonTag,
    Source,
    ValueTag,
)
from showpipe.times import seconds_value, timestamp

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
PSC_NS = "http://podlove.org/simple-chapters"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"

_P = f"{{{PODCAST_NS}}}"
_M = f"{{{MEDIA_NS}}}"


def _add(parent: Any, tag: str, text: str | None = None, **attributes: str | None) -> Any:
    """Append an element with the given text and the attributes that are not None."""
    element = etree.SubElement(parent, tag, {k: v for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def write_value(parent: Any, value: ValueTag | None) -> None:
    """Append podcast:value with its recipients to a channel or an item, if there is one."""
    if value is None:
        return
    block = _add(
        parent, f"{_P}value", type=value.type, method=value.method, suggested=value.suggested
    )
    for r in value.recipients:
        _add(
            block,
            f"{_P}valueRecipient",
            name=r.name,
            type=r.type,
            address=r.address,
            split=str(r.split),
            fee="true" if r.fee else None,
            customKey=r.custom_key,
            customValue=r.custom_value,
        )


# --- extensions --------------------------------------------------------------------------


class _Extension:
    """What feedgen asks of an extension; `extend_atom` is unused (Apple dropped Atom)."""

    namespaces: dict[str, str] = {}

    def extend_ns(self) -> dict[str, str]:
        return self.namespaces

    def extend_atom(self, atom: Any) -> Any:
        return atom

    def extend_rss(self, rss: Any) -> Any:
        """Declares the namespace only, unless a subclass writes elements."""
        return rss


class ItunesChannel(_Extension):
    """The itunes: values feedgen's podcast extension writes in a form Apple no longer wants:
    explicit as true/false (feedgen: yes/no/clean), block and complete as `Yes` (feedgen:
    `yes`; Apple documents only `Yes` as having an effect).
    """

    namespaces = {"itunes": ITUNES_NS}

    def __init__(self) -> None:
        self.explicit = False
        self.block = False
        self.complete = False

    def extend_rss(self, rss: Any) -> Any:
        self._write(rss[0])
        return rss

    def _write(self, parent: Any) -> None:
        _add(parent, f"{{{ITUNES_NS}}}explicit", "true" if self.explicit else "false")
        for tag, value in (("block", self.block), ("complete", self.complete)):
            if value:
                _add(parent, f"{{{ITUNES_NS}}}{tag}", "Yes")


class ItunesItem(ItunesChannel):
    def extend_rss(self, item: Any) -> Any:
        self._write(item)
        return item


def _person(parent: Any, person: PersonTag) -> None:
    _add(
        parent,
        f"{_P}person",
        person.name,
        role=person.role,
        group=person.group,
        img=person.img,
        href=person.href,
    )


class PodcastChannel(_Extension):
    """The channel's `podcast:` tags."""

    namespaces = {"podcast": PODCAST_NS}

    def __init__(self) -> None:
        self.tags: ChannelTags | None = None

    def extend_rss(self, rss: Any) -> Any:
        tags, channel = self.tags, rss[0]
        if tags is None:
            return rss
        _add(channel, f"{_P}guid", tags.guid)
        _add(channel, f"{_P}medium", tags.medium)
        _add(channel, f"{_P}locked", "yes" if tags.locked else "no", owner=tags.owner_email)
        for person in tags.persons:
            _person(channel, person)
        for url, text in tags.funding:
            _add(channel, f"{_P}funding", text, url=url)
        if tags.license:
            _add(channel, f"{_P}license", tags.license[0], url=tags.license[1])
        for t in tags.trailers:
            season = None if t.season is None else str(t.season)
            _add(
                channel,
                f"{_P}trailer",
                t.title,
                url=t.url,
                pubdate=t.pubdate,
                length=str(t.length),
                type=t.type,
                season=season,
            )
        if tags.podroll:
            podroll = _add(channel, f"{_P}podroll")
            for guid, feed_url in tags.podroll:
                _add(podroll, f"{_P}remoteItem", feedGuid=guid, feedUrl=feed_url)
        if tags.update_frequency:
            text, rrule, complete = tags.update_frequency
            _add(
                channel,
                f"{_P}updateFrequency",
                text,
                rrule=rrule,
                complete="true" if complete else None,
            )
        write_value(channel, tags.value)
        return rss


class PodcastItem(_Extension):
    """An item's `podcast:` tags."""

    namespaces = {"podcast": PODCAST_NS}

    def __init__(self) -> None:
        self.tags = ItemTags()

    def extend_rss(self, item: Any) -> Any:
        tags = self.tags
        if tags.season is not None:
            _add(item, f"{_P}season", str(tags.season[0]), name=tags.season[1])
        if tags.episode is not None:
            _add(item, f"{_P}episode", str(tags.episode))
        for person in tags.persons:
            _person(item, person)
        if tags.chapters_url:
            _add(item, f"{_P}chapters", url=tags.chapters_url, type="application/json+chapters")
        for t in tags.transcripts:
            _add(
                item,
                f"{_P}transcript",
                url=t.url,
                type=t.type,
                language=t.language,
                rel="captions" if t.captions else None,
            )
        for start, duration, title in tags.soundbites:
            _add(
                item,
                f"{_P}soundbite",
                title,
                startTime=str(seconds_value(start)),
                duration=str(seconds_value(duration)),
            )
        for source in tags.alternates:
            _alternate(item, source)
        if tags.poster:
            p = tags.poster
            ratio = f"{p.width}/{p.height}" if p.width and p.height else None
            _add(
                item,
                f"{_P}image",
                href=p.url,
                purpose="poster",
                width=_opt(p.width),
                height=_opt(p.height),
                **{"aspect-ratio": ratio},
            )
        write_value(item, tags.value)
        return item


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)


def _alternate(item: Any, source: Source) -> None:
    bitrate = None
    if source.duration:
        bitrate = str(round(source.length * 8 / source.duration))
    alternate = _add(
        item,
        f"{_P}alternateEnclosure",
        type=source.type,
        length=str(source.length),
        bitrate=bitrate,
        height=_opt(source.height),
        title=source.title,
    )
    _add(alternate, f"{_P}source", uri=source.url)
    if source.sri:
        _add(alternate, f"{_P}integrity", type="sri", value=source.sri)


class MediaRssChannel(_Extension):
    namespaces = {"media": MEDIA_NS}


class MediaRssItem(MediaRssChannel):
    """media:content and media:thumbnail (rssboard.org Media RSS), for video items."""

    def __init__(self) -> None:
        self.tags: MediaTags | None = None

    def extend_rss(self, item: Any) -> Any:
        if self.tags is None:
            return item
        c = self.tags.content
        _add(
            item,
            f"{_M}content",
            url=c.url,
            fileSize=str(c.length),
            type=c.type,
            medium="video",
            duration=None if c.duration is None else str(round(c.duration)),
            width=_opt(self.tags.width),
            height=_opt(self.tags.height),
        )
        if self.tags.thumbnail:
            _add(item, f"{_M}thumbnail", url=self.tags.thumbnail)
        return item


class PodloveChannel(_Extension):
    namespaces = {"psc": PSC_NS}


class PodloveItem(PodloveChannel):
    """Podlove Simple Chapters inline (psc:chapters version 1.2), read by gPodder."""

    def __init__(self) -> None:
        self.chapters: Sequence[ChapterMark] = ()

    def extend_rss(self, item: Any) -> Any:
        if not self.chapters:
            return item
        chapters = _add(item, f"{{{PSC_NS}}}chapters", version="1.2")
        for c in self.chapters:
            _add(
                chapters,
                f"{{{PSC_NS}}}chapter",
                start=timestamp(c.start),
                title=c.title,
                href=c.href,
                image=c.image,
            )
        return item


class WebSubChannel(_Extension):
    """`<atom:link rel="hub">` for each WebSub hub: feedgen writes only the self link in RSS."""

    namespaces = {"atom": ATOM_NS}

    def __init__(self) -> None:
        self.hubs: list[str] = []

    def extend_rss(self, rss: Any) -> Any:
        for hub in self.hubs:
            _add(rss[0], f"{{{ATOM_NS}}}link", None, rel="hub", href=hub)
        return rss


EXTENSIONS: list[tuple[str, type[_Extension], type[_Extension]]] = [
    ("showpipe", ItunesChannel, ItunesItem),
    ("podcastindex", PodcastChannel, PodcastItem),
    ("mediarss", MediaRssChannel, MediaRssItem),
    ("podlove", PodloveChannel, PodloveItem),
    ("websub", WebSubChannel, _Extension),
]
