"""Building the RSS feeds. The only module that imports feedgen.

A feed is a pure function of the feed's YAML, its published episodes (YAML + manifest
record) and the public URL: the same inputs give byte-identical XML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nh3
from feedgen.feed import FeedGenerator
from lxml import etree
from markdown_it import MarkdownIt

from showpipe.errors import FeedError
from showpipe.manifest import EpisodeRecord, StoredFile
from showpipe.model import Episode, Feed

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
GENERATOR = "showpipe"

# Apple's accepted enclosure types (FEED-SPEC.md, Item): M4A is announced as audio/x-m4a.
ENCLOSURE_TYPES = {"audio/mp4": "audio/x-m4a"}

# XML 1.0 §2.2 Char production: everything else must go.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
# Apple renders these in descriptions (FEED-SPEC.md, Item: description).
_ALLOWED_HTML = {"p", "ol", "ul", "li", "a", "strong", "em", "b", "i", "br", "code", "blockquote"}


@dataclass(frozen=True)
class PublishedEpisode:
    """An episode as it goes into a feed: its metadata and what was published of it."""

    episode: Episode
    record: EpisodeRecord

    @property
    def guid(self) -> str:
        assert self.episode.guid is not None, "published episodes always have a GUID"
        return self.episode.guid


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry."""
    return _XML_FORBIDDEN.sub("", text)


def render_html(markdown: str) -> str:
    """Render a Markdown description to sanitised HTML."""
    html = _MARKDOWN.render(clean_text(markdown))
    return nh3.clean(html, tags=_ALLOWED_HTML, attributes={"a": {"href"}}).strip()


def feed_key(feed: Feed) -> str:
    return f"feeds/{feed.name}.xml"


def _explicit(value: bool) -> str:
    # Apple now wants true/false; feedgen's podcast extension only writes yes/no/clean.
    return "true" if value else "false"


class _ShowpipeChannel:
    """feedgen extension for the channel tags feedgen's podcast extension gets wrong."""

    def __init__(self) -> None:
        self.explicit = False

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, rss: Any) -> Any:
        channel = rss[0]
        etree.SubElement(channel, f"{{{ITUNES_NS}}}explicit").text = _explicit(self.explicit)
        return rss

    def extend_atom(self, atom: Any) -> Any:
        return atom


class _ShowpipeItem:
    def __init__(self) -> None:
        self.explicit = False

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, item: Any) -> Any:
        etree.SubElement(item, f"{{{ITUNES_NS}}}explicit").text = _explicit(self.explicit)
        return item

    def extend_atom(self, entry: Any) -> Any:
        return entry


def _newest_first(episodes: Sequence[PublishedEpisode]) -> list[PublishedEpisode]:
    # Ties broken by GUID so the order never depends on file listing order.
    return sorted(episodes, key=lambda p: (p.episode.published, p.guid), reverse=True)


def build_feed(
    feed: Feed,
    episodes: Sequence[PublishedEpisode],
    *,
    artwork: StoredFile,
    public_url: str,
) -> bytes:
    """Build one feed's RSS XML.

    Args:
        feed: the channel's definition.
        episodes: the episodes to list (already filtered to this feed and to what is due).
        artwork: the published channel artwork.
        public_url: the base URL that storage keys are served under, ending in `/`.

    Raises:
        FeedError: feedgen rejected a value.
    """
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("showpipe", _ShowpipeChannel, _ShowpipeItem)
    try:
        _fill_channel(fg, feed, artwork=artwork, public_url=public_url)
        ordered = _newest_first(episodes)
        # feedgen prepends entries, so add the oldest first to write the newest first.
        for published in reversed(ordered):
            _add_item(fg, feed, published, public_url=public_url)
        newest = ordered[0].episode.published if ordered else datetime(1970, 1, 1, tzinfo=UTC)
        fg.lastBuildDate(newest)
        xml: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    except ValueError as e:
        raise FeedError(f"feeds/{feed.name}.yaml: cannot build the feed: {e}") from e
    return xml


def _fill_channel(fg: Any, feed: Feed, *, artwork: StoredFile, public_url: str) -> None:
    fg.title(clean_text(feed.title))
    # feedgen writes the last link as RSS <link>: the website must come last.
    fg.link(href=public_url + feed_key(feed), rel="self")
    fg.link(href=feed.link, rel="alternate")
    fg.description(clean_text(feed.description))
    fg.language(feed.language)
    if feed.copyright:
        fg.copyright(clean_text(feed.copyright))
    fg.generator(GENERATOR, uri=None, version=None)
    fg.podcast.itunes_author(clean_text(feed.author))
    fg.podcast.itunes_owner(name=clean_text(feed.owner.name), email=feed.owner.email)
    fg.podcast.itunes_image(public_url + artwork.key)
    fg.podcast.itunes_type(feed.type)
    fg.podcast.itunes_category(
        [
            {"cat": c.category, **({"sub": c.subcategory} if c.subcategory else {})}
            for c in feed.categories
        ]
    )
    fg.showpipe.explicit = feed.explicit


def _add_item(fg: Any, feed: Feed, published: PublishedEpisode, *, public_url: str) -> None:
    episode, record = published.episode, published.record
    media = record.media[feed.medium]
    entry = fg.add_entry()
    entry.title(clean_text(episode.title))
    entry.guid(published.guid, permalink=False)
    entry.pubDate(episode.published)
    entry.enclosure(
        public_url + media.key,
        str(media.size),
        ENCLOSURE_TYPES.get(media.content_type, media.content_type),
    )
    entry.description(clean_text(episode.summary))
    entry.content(render_html(episode.description), type="CDATA")
    entry.podcast.itunes_title(clean_text(episode.title))
    entry.podcast.itunes_duration(round(media.duration or 0))
    entry.podcast.itunes_episode_type(episode.type)
    if episode.episode is not None:
        entry.podcast.itunes_episode(episode.episode)
    if episode.season is not None:
        entry.podcast.itunes_season(episode.season)
    if record.artwork is not None:
        entry.podcast.itunes_image(public_url + record.artwork.key)
    entry.showpipe.explicit = episode.explicit
