"""Feed items: one episode's <item> as it stands in a feed, and what items share with their
feed (its URLs, extensions and namespaces). `build` puts the channel and the items together.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from lxml import etree

from showpipe.feeds import extensions as ext
from showpipe.feeds import tags
from showpipe.feeds.analytics import tracked_url
from showpipe.feeds.chapters import with_images
from showpipe.feeds.cut import END, START
from showpipe.feeds.tags import ValueRecipientTag, ValueTag
from showpipe.feeds.text import Descriptions, clean_text, clean_url, plain_text_html
from showpipe.model.manifest import EpisodeRecord, StoredFile
from showpipe.model.published import PublishedEpisode
from showpipe.model.show import Feed, Person, Value, listed_medium

# Apple's accepted enclosure types (docs/feed-rules.md, "Items"): M4A is audio/x-m4a.
ENCLOSURE_TYPES = {"audio/mp4": "audio/x-m4a"}
# Names apps show for the other renditions in podcast:alternateEnclosure.
RENDITION_TITLES = {
    "audio/mpeg": "MP3 audio",
    "audio/mp4": "AAC audio",
    "audio/ogg": "Opus audio",
    "audio/flac": "FLAC audio",
    "video/mp4": "Video",
}
# Time-coded formats are captions (podcast:transcript rel="captions").
CAPTION_TYPES = {"text/vtt", "application/x-subrip"}


@dataclass(frozen=True)
class Urls:
    """The URLs of a feed's published files, under the public URL (cleaned once)."""

    base: str

    def of(self, stored: StoredFile) -> str:
        # Keys are slugs and hex, so they need no escaping; the base was cleaned once.
        return clean_url(stored.url) if stored.url else stored.href(self.base)


def extension_classes() -> list[tuple[str, Any, Any]]:
    """feedgen's podcast extension and ours, in the order their tags are written."""
    return [("podcast", PodcastExtension, PodcastEntryExtension), *ext.EXTENSIONS]


@dataclass(frozen=True)
class ItemFeed:
    """What an item takes from its feed's definition, and nothing else: items are rendered
    from this alone (`Channel.render`), and the item cache keys them by it
    (`ItemCache.channel_digest`), so an edit to the rest of a feed (its title, description,
    categories, owner…) renders none of its items again."""

    name: str
    medium: str
    language: str
    explicit: bool
    hosts: tuple[Person, ...]
    seasons: Mapping[int, str]
    analytics_prefix: str | None

    @classmethod
    def of(cls, feed: Feed) -> ItemFeed:
        return cls(
            name=feed.name,
            medium=feed.medium,
            language=feed.language,
            explicit=feed.explicit,
            hosts=tuple(feed.hosts),
            seasons=dict(feed.seasons),
            analytics_prefix=feed.analytics_prefix,
        )

    def medium_of(self, media: Collection[str]) -> str | None:
        """Which of an episode's media this feed lists (`Feed.medium_of`)."""
        return listed_medium(self.medium, media)

    def as_json(self) -> str:
        """Every field, as JSON: what the item cache's key takes from the feed."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        return json.dumps(values, sort_keys=True, default=_model_json)


def _model_json(model: Any) -> Any:
    return model.model_dump(mode="json")  # the hosts: pydantic models


@dataclass(frozen=True)
class Channel:
    """What a feed's items take from their feed: sent to the processes that render them."""

    feed: ItemFeed
    artwork: StoredFile
    urls: Urls
    nsmap: dict[str | None, str]

    def render(self, published: PublishedEpisode, text: Descriptions) -> bytes:
        """The episode's <item> as it stands in this feed."""
        entry = FeedEntry()  # as FeedGenerator.add_entry makes one
        for name, _, item_class in extension_classes():
            entry.register_extension(name, item_class)
        add_item(entry, self.feed, published, urls=self.urls, artwork=self.artwork, text=text)
        return item_xml(entry.rss_entry(), self.nsmap)


def item_xml(item: Any, nsmap: dict[str | None, str]) -> bytes:
    """An <item> as it reads inside a pretty-printed feed with these namespaces, from its
    `<item>` to its `</item>` (as `cut.split_items` cuts one from a feed)."""
    rss = etree.Element("rss", nsmap=nsmap)
    etree.SubElement(rss, "channel").append(item)
    xml: bytes = etree.tostring(rss, pretty_print=True, encoding="UTF-8")
    # The item's own end tag is the document's last: one in its text comes before it.
    return xml[xml.index(START) : xml.rindex(END) + len(END)]


def person_tag(person: Person) -> tags.PersonTag:
    return tags.PersonTag(
        name=clean_text(person.name),
        role=person.role.lower(),
        group=person.group.lower() if person.group else None,
        img=clean_url(person.image) if person.image else None,
        href=clean_url(person.link) if person.link else None,
    )


def value_tag(value: Value | None) -> ValueTag | None:
    if value is None:
        return None
    return ValueTag(
        type=value.type,
        method=value.method,
        suggested=value.suggested,
        recipients=[
            ValueRecipientTag(
                name=clean_text(r.name) if r.name else None,
                type=r.type,
                address=r.address,
                split=r.split,
                fee=r.fee,
                custom_key=r.custom_key,
                custom_value=r.custom_value,
            )
            for r in value.recipients
        ],
    )


def listed_file(medium: str, record: EpisodeRecord) -> StoredFile:
    """The episode's file a feed of `medium` lists (plan_feeds keeps only episodes that
    have one)."""
    listed = listed_medium(medium, record.media)
    assert listed is not None, "episodes without this feed's medium are filtered out"
    return record.media[listed]


def add_item(
    entry: Any,
    feed: ItemFeed,
    published: PublishedEpisode,
    *,
    urls: Urls,
    artwork: StoredFile,
    text: Descriptions,
) -> None:
    episode, record = published.episode, published.record
    media = listed_file(feed.medium, record)
    source = source_tag(media, urls=urls)
    # Only the enclosure (and media:content, the same file) is counted through the prefix.
    enclosure = replace(source, url=tracked_url(source.url, feed.analytics_prefix))
    entry.title(clean_text(episode.title))
    # As it is: the model refuses what XML cannot carry, so the feed holds the very GUID that
    # the guard, the read-back and the item cache know the item by.
    entry.guid(published.guid, permalink=False)
    entry.pubDate(episode.published)
    if episode.link:
        entry.link(href=clean_url(episode.link))
    entry.enclosure(enclosure.url, str(enclosure.length), enclosure.type)
    entry.description(plain_text_html(episode.summary))
    entry.content(text.html(episode.description), type="CDATA")
    entry.podcast.itunes_title(clean_text(episode.title))
    if media.duration:  # unknown (an imported item without one): left out, never 0
        entry.podcast.itunes_duration(round(media.duration))
    entry.podcast.itunes_episode_type(episode.type)
    if episode.episode is not None:
        entry.podcast.itunes_episode(episode.episode)
    if episode.season is not None:
        entry.podcast.itunes_season(episode.season)
    if record.artwork is not None:
        entry.podcast.itunes_image(urls.of(record.artwork))
    entry.showpipe.explicit = feed.explicit if episode.explicit is None else episode.explicit
    entry.showpipe.block = episode.block
    entry.podcastindex.tags = _item_tags(feed, published, urls=urls)
    entry.podlove.chapters = _chapter_marks(published, urls=urls)
    if media.content_type.startswith("video/"):
        thumbnail = record.poster or record.artwork or artwork
        entry.mediarss.tags = tags.MediaTags(
            content=enclosure,
            width=media.width,
            height=media.height,
            thumbnail=urls.of(thumbnail),
        )


def source_tag(stored: StoredFile, *, urls: Urls) -> tags.Source:
    return tags.Source(
        url=urls.of(stored),
        type=ENCLOSURE_TYPES.get(stored.content_type, stored.content_type),
        length=stored.size,
        title=RENDITION_TITLES.get(stored.content_type, stored.content_type),
        duration=stored.duration,
        sri=stored.sri,
        height=stored.height,
    )


def _item_tags(feed: ItemFeed, published: PublishedEpisode, *, urls: Urls) -> tags.ItemTags:
    episode, record = published.episode, published.record
    listed = feed.medium_of(record.media)
    others = [f for medium, f in sorted(record.media.items()) if medium != listed]
    poster = record.poster
    hosts = feed.hosts if episode.hosts is None else episode.hosts
    return tags.ItemTags(
        # Item persons replace the channel's, so the hosts are listed again with the guests.
        persons=[person_tag(p) for p in (*hosts, *episode.guests)],
        season=None
        if episode.season is None
        else (episode.season, feed.seasons.get(episode.season, f"Season {episode.season}")),
        episode=episode.episode,
        chapters_url=urls.of(record.chapters) if record.chapters else None,
        transcripts=[
            tags.Transcript(
                urls.of(t), t.content_type, feed.language, t.content_type in CAPTION_TYPES
            )
            for t in record.transcripts
        ],
        alternates=[source_tag(f, urls=urls) for f in (*others, *record.alternates)],
        soundbites=[
            (s.start, s.duration, clean_text(s.title) if s.title else None)
            for s in episode.soundbites
        ],
        poster=tags.Poster(urls.of(poster), poster.width, poster.height) if poster else None,
        value=value_tag(episode.value),
    )


def _chapter_marks(published: PublishedEpisode, *, urls: Urls) -> list[tags.ChapterMark]:
    return [
        tags.ChapterMark(
            start=chapter.start,
            title=clean_text(chapter.title),
            href=clean_url(chapter.link) if chapter.link else None,
            image=urls.of(image) if image else None,
        )
        for chapter, image in with_images(
            published.episode.chapters, published.record.chapter_images
        )
    ]
