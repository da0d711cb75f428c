"""Building the RSS feeds: a channel, then its items (`feeds.item`); with `item`, the only
module that imports feedgen.

A feed is a pure function of the feed's YAML, its published episodes (YAML + manifest
record) and the public URL: the same inputs give byte-identical XML.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from feedgen.feed import FeedGenerator
from lxml import etree

from showpipe.digests import data_digest
from showpipe.errors import FeedError
from showpipe.feeds import tags
from showpipe.feeds.analytics import tracked_url
from showpipe.feeds.cut import START, Items, channel_items, join_items
from showpipe.feeds.item import (
    Channel,
    ItemFeed,
    Urls,
    extension_classes,
    listed_file,
    person_tag,
    source_tag,
    value_tag,
)
from showpipe.feeds.readback import FeedItems, feed_items
from showpipe.feeds.text import Descriptions, clean_text, clean_url, plain_text_html
from showpipe.model.manifest import StoredFile
from showpipe.model.published import NewestFirst, PublishedEpisode
from showpipe.model.show import Feed
from showpipe.parallel import render_each

if TYPE_CHECKING:
    from showpipe.feeds.cache import ItemCache

GENERATOR = "showpipe"

# From this many episodes whose items are not cached, they are rendered on every core, in
# batches of ITEM_BATCH episodes.
PARALLEL_RENDER_FROM = 1000
ITEM_BATCH = 100
# podcast:guid's namespace (podcast-namespace docs/tags/guid.md).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def feed_key(feed: Feed) -> str:
    return f"feeds/{feed.name}.xml"


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: UUIDv5 of the feed URL without its scheme and trailing slashes."""
    name = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, name))


@dataclass(frozen=True)
class BuiltFeed:
    """A feed's XML, and its items as `readback.feed_items` would read them from it."""

    xml: bytes
    items: FeedItems
    pieces: Items  # what `xml` was joined from (`join_items`): the lint's and read-back's cut


@dataclass(frozen=True)
class Ahead:
    """What `render_items` made for one feed ahead of `build_feed`: its channel, serialised
    alone, with what its items take from it, and the items it rendered, by GUID."""

    channel: bytes
    context: Channel
    items: dict[str, bytes]


def build_feed(
    feed: Feed,
    episodes: NewestFirst,
    *,
    artwork: StoredFile,
    public_url: str,
    descriptions: Descriptions | None = None,
    items: ItemCache | None = None,
    ahead: Ahead | None = None,
) -> BuiltFeed:
    """Build one feed's RSS XML, and know its items without parsing it again.

    Args:
        feed: the channel's definition.
        episodes: the episodes to list, newest first (already filtered to this feed and to
            what is due), as `due_episodes` returns them: listed in that order.
        artwork: the published channel artwork.
        public_url: the base URL that storage keys are served under, ending in `/`.
        descriptions: the run's rendered descriptions (default: rendered here).
        items: the run's item cache: items whose inputs are unchanged are taken from it.
        ahead: the channel and items `render_items` made for this feed.

    Raises:
        FeedError: feedgen rejected a value, or a URL is not absolute.
    """
    text = descriptions or Descriptions()
    try:
        if ahead is None:
            channel, context = _start_feed(feed, episodes, artwork=artwork, public_url=public_url)
        else:
            channel, context = ahead.channel, ahead.context
        done: Mapping[str, bytes] = ahead.items if ahead else {}
        if items is None:
            rendered = [done.get(p.guid) or context.render(p, text) for p in episodes]
        else:
            # An item's bytes do not depend on its neighbours, so an unchanged one is reused.
            digest = items.channel_digest(feed, artwork=artwork, public_url=public_url)
            rendered = [
                items.item(digest, p, partial(context.render, p, text), ahead=done.get(p.guid))
                for p in episodes
            ]
    except ValueError as e:
        raise FeedError(f"feeds/{feed.name}.yaml: cannot build the feed: {e}") from e
    place = channel_items(channel)
    xml = join_items(place.head, rendered, place.tail)
    channel_guid = _channel_guid(feed, context.urls)
    found = _built_items(channel_guid, episodes, rendered) or feed_items(xml)
    return BuiltFeed(xml, found, Items(place.head, rendered, place.tail))


def _start_feed(
    feed: Feed, episodes: NewestFirst, *, artwork: StoredFile, public_url: str
) -> tuple[bytes, Channel]:
    """The feed's channel, serialised alone (its items are put in their place later), and
    what its items take from it."""
    fg = FeedGenerator()
    for name, channel_class, item_class in extension_classes():
        fg.register_extension(name, channel_class, item_class)
    urls = Urls(clean_url(public_url))
    _fill_channel(fg, feed, episodes, artwork=artwork, urls=urls)
    newest = episodes[0].episode.published if episodes else datetime(1970, 1, 1, tzinfo=UTC)
    fg.lastBuildDate(newest)
    channel: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return channel, Channel(ItemFeed.of(feed), artwork, urls, etree.fromstring(channel).nsmap)


def render_items(
    feeds: Sequence[tuple[Feed, NewestFirst, StoredFile]],
    *,
    public_url: str,
    descriptions: Descriptions,
    items: ItemCache | None = None,
) -> dict[str, Ahead]:
    """Render the items of every feed (each with the episodes it lists) ahead of
    `build_feed` (its `ahead`, by feed name), and their descriptions into `descriptions`;
    with the run's `items`, only the items it lacks (after a feed's YAML changed, all of
    its items). A feed whose items are all cached is left out: it needs no channel yet.

    An episode's description and items are rendered together, each description once for
    all feeds, and a big show's episodes in batches on every core (`showpipe.parallel`).
    An item that cannot be built is left to `build_feed`, which says why.
    """
    ahead: dict[str, Ahead] = {}
    # Each episode once, with every channel that lacks its item.
    listings: dict[str, tuple[PublishedEpisode, list[Channel]]] = {}
    for feed, due, artwork in feeds:
        missing = _lacking(feed, due, artwork, public_url=public_url, items=items)
        if not missing:
            continue  # every item is cached: no channel to start
        try:
            channel, context = _start_feed(feed, due, artwork=artwork, public_url=public_url)
        except ValueError:
            continue  # build_feed reports it
        ahead[feed.name] = Ahead(channel, context, {})
        for published in missing:
            listings.setdefault(published.guid, (published, []))[1].append(context)
    jobs = [(published, tuple(listing)) for published, listing in listings.values()]
    batches = [tuple(jobs[i : i + ITEM_BATCH]) for i in range(0, len(jobs), ITEM_BATCH)]
    renders = [partial(_render_batch, batch) for batch in batches]
    done = render_each(renders, parallel_from=PARALLEL_RENDER_FROM // ITEM_BATCH, run_length=1)
    for batch, rendered in zip(batches, done, strict=True):
        for (published, listing), (html, items_xml) in zip(batch, rendered, strict=True):
            descriptions.keep(published.episode.description, html)
            for lister, item in zip(listing, items_xml or (), strict=False):
                ahead[lister.feed.name].items[published.guid] = item
    return ahead


def _lacking(
    feed: Feed,
    due: NewestFirst,
    artwork: StoredFile,
    *,
    public_url: str,
    items: ItemCache | None,
) -> list[PublishedEpisode]:
    """The episodes the feed lists whose item in it `items` lacks (all of them without a
    cache)."""
    if items is None:
        return list(due)
    digest = items.channel_digest(feed, artwork=artwork, public_url=public_url)
    return [p for p in due if not items.has(digest, p)]


def _render_batch(
    batch: tuple[tuple[PublishedEpisode, tuple[Channel, ...]], ...],
) -> list[tuple[str, list[bytes] | None]]:
    """Each episode's description as HTML, and its item in each feed (None when one cannot
    be built: `build_feed` says why).

    Every description first, then every item: rendering one episode's Markdown, then its
    items, then the next episode's took a fifth longer (measured), the processor's caches
    going back and forth between markdown-it and feedgen.
    """
    text = Descriptions()
    html = [text.html(published.episode.description) for published, _ in batch]
    return [
        (description, _render_feed_items(published, listing, text))
        for description, (published, listing) in zip(html, batch, strict=True)
    ]


def _render_feed_items(
    published: PublishedEpisode, channels: tuple[Channel, ...], text: Descriptions
) -> list[bytes] | None:
    try:
        return [channel.render(published, text) for channel in channels]
    except ValueError:
        return None


def _built_items(
    channel_guid: str | None, episodes: NewestFirst, rendered: list[bytes]
) -> FeedItems | None:
    """The items as `feed_items` reads them from the built feed: each one's GUID, title (as
    written: cleaned) and the digest of its bytes as they stand in the feed. None where an
    item holds the text `<item>` (in a CDATA section), which only parsing reads right.
    Rendered items are their bytes as they stand in the feed (as `cut.split_items` cuts them)."""
    if any(item.count(START) != 1 for item in rendered):
        return None
    found = {
        p.guid: (clean_text(p.episode.title), data_digest(text))
        for p, text in zip(episodes, rendered, strict=True)
    }
    return FeedItems(channel_guid, found, len(rendered))


def file_urls(public_url: str) -> Callable[[StoredFile], str]:
    """Where a feed says each published file is (the public URL cleaned once for all)."""
    return Urls(clean_url(public_url)).of


def enclosure_urls(feed: Feed, public_url: str) -> Callable[[StoredFile], str]:
    """The URL a feed's enclosure gives for an episode's media: through its analytics prefix
    (the public URL cleaned once for all episodes)."""
    url_of = file_urls(public_url)
    return lambda stored: tracked_url(url_of(stored), feed.analytics_prefix)


def _channel_guid(feed: Feed, urls: Urls) -> str:
    """The feed's podcast:guid: as its YAML gives it, else made from the feed's URL."""
    return str(feed.podcast_guid or podcast_guid(urls.base + feed_key(feed)))


def _fill_channel(
    fg: Any, feed: Feed, ordered: NewestFirst, *, artwork: StoredFile, urls: Urls
) -> None:
    feed_url = urls.base + feed_key(feed)
    fg.title(clean_text(feed.title))
    # feedgen writes the last link as RSS <link>: the website must come last.
    fg.link(href=feed_url, rel="self")
    fg.link(href=clean_url(feed.link), rel="alternate")
    fg.websub.hubs = [clean_url(hub) for hub in feed.notify.websub]
    fg.description(plain_text_html(feed.description))
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
    fg.podcastindex.tags = _channel_tags(feed, ordered, urls=urls)


def _channel_tags(feed: Feed, ordered: NewestFirst, *, urls: Urls) -> tags.ChannelTags:
    trailers = []
    for published in ordered:
        episode = published.episode
        if episode.type == "trailer":
            source = source_tag(listed_file(feed.medium, published.record), urls=urls)
            trailers.append(
                tags.TrailerTag(
                    title=clean_text(episode.title)[:128],
                    url=source.url,
                    pubdate=format_datetime(episode.published),
                    length=source.length,
                    type=source.type,
                    season=episode.season,
                )
            )
    frequency = feed.update_frequency
    return tags.ChannelTags(
        guid=_channel_guid(feed, urls),
        medium="video" if feed.medium == "video" else "podcast",
        locked=feed.locked,
        owner_email=feed.owner.email,
        persons=[person_tag(p) for p in feed.hosts],
        funding=[(clean_url(f.url), clean_text(f.text)) for f in feed.funding],
        license=(feed.license.slug, feed.license.url and clean_url(feed.license.url))
        if feed.license
        else None,
        trailers=trailers,
        podroll=[(str(p.feed_guid), p.feed_url and clean_url(p.feed_url)) for p in feed.podroll],
        update_frequency=(clean_text(frequency.text), frequency.rrule, frequency.complete)
        if frequency
        else None,
        value=value_tag(feed.value),
    )
