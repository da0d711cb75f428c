"""Building the RSS feeds. The only module that imports feedgen.

A feed is a pure function of the feed's YAML, its published episodes (YAML + manifest
record) and the public URL: the same inputs give byte-identical XML.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from feedgen.feed import FeedGenerator

from showpipe.errors import FeedError
from showpipe.feeds import extensions as ext
from showpipe.feeds.chapters import with_images
from showpipe.feeds.text import Descriptions, clean_text, clean_url
from showpipe.model.manifest import StoredFile
from showpipe.model.published import NewestFirst, PublishedEpisode
from showpipe.model.show import Feed, Person

GENERATOR = "showpipe"

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
# podcast:guid's namespace (podcast-namespace docs/tags/guid.md).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def feed_key(feed: Feed) -> str:
    return f"feeds/{feed.name}.xml"


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: UUIDv5 of the feed URL without its scheme and trailing slashes."""
    name = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, name))


def build_feed(
    feed: Feed,
    episodes: NewestFirst,
    *,
    artwork: StoredFile,
    public_url: str,
    descriptions: Descriptions | None = None,
) -> bytes:
    """Build one feed's RSS XML.

    Args:
        feed: the channel's definition.
        episodes: the episodes to list, newest first (already filtered to this feed and to
            what is due), as `due_episodes` returns them: listed in that order.
        artwork: the published channel artwork.
        public_url: the base URL that storage keys are served under, ending in `/`.
        descriptions: the run's rendered descriptions (default: rendered here).

    Raises:
        FeedError: feedgen rejected a value, or a URL is not absolute.
    """
    descriptions = descriptions or Descriptions()
    fg = FeedGenerator()
    fg.load_extension("podcast")
    for name, channel_class, item_class in ext.EXTENSIONS:
        fg.register_extension(name, channel_class, item_class)
    try:
        urls = _Urls(clean_url(public_url))
        _fill_channel(fg, feed, episodes, artwork=artwork, urls=urls)
        # feedgen prepends entries, so add the oldest first to write the newest first.
        for published in reversed(episodes):
            _add_item(fg, feed, published, urls=urls, artwork=artwork, text=descriptions)
        newest = episodes[0].episode.published if episodes else datetime(1970, 1, 1, tzinfo=UTC)
        fg.lastBuildDate(newest)
        xml: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    except ValueError as e:
        raise FeedError(f"feeds/{feed.name}.yaml: cannot build the feed: {e}") from e
    return xml


@dataclass(frozen=True)
class _Urls:
    base: str

    def of(self, stored: StoredFile) -> str:
        # Keys are slugs and hex, so they need no escaping; the base was cleaned once.
        return clean_url(stored.url) if stored.url else stored.href(self.base)


def file_url(stored: StoredFile, public_url: str) -> str:
    """The URL a feed gives for a published file."""
    return _Urls(clean_url(public_url)).of(stored)


def _person(person: Person) -> ext.PersonTag:
    return ext.PersonTag(
        name=clean_text(person.name),
        role=person.role.lower(),
        group=person.group.lower() if person.group else None,
        img=clean_url(person.image) if person.image else None,
        href=clean_url(person.link) if person.link else None,
    )


def _fill_channel(
    fg: Any, feed: Feed, ordered: NewestFirst, *, artwork: StoredFile, urls: _Urls
) -> None:
    feed_url = urls.base + feed_key(feed)
    fg.title(clean_text(feed.title))
    # feedgen writes the last link as RSS <link>: the website must come last.
    fg.link(href=feed_url, rel="self")
    fg.link(href=clean_url(feed.link), rel="alternate")
    fg.websub.hubs = [clean_url(hub) for hub in feed.notify.websub]
    fg.description(clean_text(feed.description))
    fg.language(feed.language)
    if feed.copyright:
        fg.copyright(clean_text(feed.copyright))
    fg.generator(GENERATOR, uri=None, version=None)
    fg.podcast.itunes_author(clean_text(feed.author))
    fg.podcast.itunes_owner(name=clean_text(feed.owner.name), email=feed.owner.email)
    fg.podcast.itunes_image(urls.of(artwork))
    fg.podcast.itunes_type(feed.type)
    fg.podcast.itunes_category(
        [
            {"cat": c.category, **({"sub": c.subcategory} if c.subcategory else {})}
            for c in feed.categories
        ]
    )
    if feed.new_feed_url:
        fg.podcast.itunes_new_feed_url(clean_url(feed.new_feed_url))
    fg.showpipe.explicit = feed.explicit
    fg.showpipe.block = feed.block
    fg.showpipe.complete = feed.complete
    fg.podcastindex.tags = _channel_tags(feed, ordered, feed_url=feed_url, urls=urls)


def _channel_tags(
    feed: Feed, ordered: NewestFirst, *, feed_url: str, urls: _Urls
) -> ext.ChannelTags:
    trailers = []
    for published in ordered:
        episode, media = published.episode, published.record.media[feed.medium]
        if episode.type == "trailer":
            source = _source(media, urls=urls)
            trailers.append(
                ext.TrailerTag(
                    title=clean_text(episode.title)[:128],
                    url=source.url,
                    pubdate=format_datetime(episode.published),
                    length=source.length,
                    type=source.type,
                    season=episode.season,
                )
            )
    frequency = feed.update_frequency
    return ext.ChannelTags(
        guid=str(feed.podcast_guid or podcast_guid(feed_url)),
        medium="video" if feed.medium == "video" else "podcast",
        locked=feed.locked,
        owner_email=feed.owner.email,
        persons=[_person(p) for p in feed.hosts],
        funding=[(clean_url(f.url), clean_text(f.text)) for f in feed.funding],
        license=(feed.license.slug, feed.license.url and clean_url(feed.license.url))
        if feed.license
        else None,
        trailers=trailers,
        podroll=[(str(p.feed_guid), p.feed_url and clean_url(p.feed_url)) for p in feed.podroll],
        update_frequency=(clean_text(frequency.text), frequency.rrule, frequency.complete)
        if frequency
        else None,
    )


def _add_item(
    fg: Any,
    feed: Feed,
    published: PublishedEpisode,
    *,
    urls: _Urls,
    artwork: StoredFile,
    text: Descriptions,
) -> None:
    episode, record = published.episode, published.record
    media = record.media[feed.medium]
    enclosure = _source(media, urls=urls)
    entry = fg.add_entry()
    entry.title(clean_text(episode.title))
    entry.guid(clean_text(published.guid), permalink=False)
    entry.pubDate(episode.published)
    entry.enclosure(enclosure.url, str(enclosure.length), enclosure.type)
    entry.description(clean_text(episode.summary))
    entry.content(text.html(episode.description), type="CDATA")
    entry.podcast.itunes_title(clean_text(episode.title))
    entry.podcast.itunes_duration(round(media.duration or 0))
    entry.podcast.itunes_episode_type(episode.type)
    if episode.episode is not None:
        entry.podcast.itunes_episode(episode.episode)
    if episode.season is not None:
        entry.podcast.itunes_season(episode.season)
    if record.artwork is not None:
        entry.podcast.itunes_image(urls.of(record.artwork))
    entry.showpipe.explicit = episode.explicit
    entry.podcastindex.tags = _item_tags(feed, published, urls=urls)
    entry.podlove.chapters = _chapter_marks(published, urls=urls)
    if feed.medium == "video":
        thumbnail = record.poster or record.artwork or artwork
        entry.mediarss.tags = ext.MediaTags(
            content=enclosure,
            width=media.width,
            height=media.height,
            thumbnail=urls.of(thumbnail),
        )


def _source(stored: StoredFile, *, urls: _Urls) -> ext.Source:
    return ext.Source(
        url=urls.of(stored),
        type=ENCLOSURE_TYPES.get(stored.content_type, stored.content_type),
        length=stored.size,
        title=RENDITION_TITLES.get(stored.content_type, stored.content_type),
        duration=stored.duration,
        sri=stored.sri,
        height=stored.height,
    )


def _item_tags(feed: Feed, published: PublishedEpisode, *, urls: _Urls) -> ext.ItemTags:
    episode, record = published.episode, published.record
    others = [f for medium, f in sorted(record.media.items()) if medium != feed.medium]
    poster = record.poster
    return ext.ItemTags(
        # Item persons replace the channel's, so the hosts are listed again with the guests.
        persons=[_person(p) for p in (*feed.hosts, *episode.guests)],
        season=None
        if episode.season is None
        else (episode.season, feed.seasons.get(episode.season, f"Season {episode.season}")),
        episode=episode.episode,
        chapters_url=urls.of(record.chapters) if record.chapters else None,
        transcripts=[
            ext.Transcript(
                urls.of(t), t.content_type, feed.language, t.content_type in CAPTION_TYPES
            )
            for t in record.transcripts
        ],
        alternates=[_source(f, urls=urls) for f in (*others, *record.alternates)],
        soundbites=[
            (s.start, s.duration, clean_text(s.title) if s.title else None)
            for s in episode.soundbites
        ],
        poster=ext.Poster(urls.of(poster), poster.width, poster.height) if poster else None,
    )


def _chapter_marks(published: PublishedEpisode, *, urls: _Urls) -> list[ext.ChapterMark]:
    return [
        ext.ChapterMark(
            start=chapter.start,
            title=clean_text(chapter.title),
            href=clean_url(chapter.link) if chapter.link else None,
            image=urls.of(image) if image else None,
        )
        for chapter, image in with_images(
            published.episode.chapters, published.record.chapter_images
        )
    ]
