"""RSS feeds: building them (feedgen plus our extensions), reading them back, linting them."""

from __future__ import annotations

from showpipe.feeds.build import (
    ENCLOSURE_TYPES,
    NewestFirst,
    PublishedEpisode,
    build_feed,
    feed_key,
    file_urls,
    newest_first,
    podcast_guid,
)
from showpipe.feeds.chapters import CHAPTERS_TYPE, chapters_json
from showpipe.feeds.text import clean_text, clean_url, render_all, render_html

__all__ = [
    "CHAPTERS_TYPE",
    "ENCLOSURE_TYPES",
    "NewestFirst",
    "PublishedEpisode",
    "build_feed",
    "chapters_json",
    "clean_text",
    "clean_url",
    "feed_key",
    "file_urls",
    "newest_first",
    "podcast_guid",
    "render_all",
    "render_html",
]
