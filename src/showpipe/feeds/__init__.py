"""RSS feeds: building them (feedgen plus our extensions), reading them back, linting them."""

from __future__ import annotations

from showpipe.feeds.build import (
    BuiltFeed,
    build_feed,
    enclosure_urls,
    feed_key,
    file_urls,
    podcast_guid,
    render_items,
)
from showpipe.feeds.chapters import CHAPTERS_TYPE, chapters_json
from showpipe.feeds.item import ENCLOSURE_TYPES
from showpipe.feeds.text import Descriptions, clean_text, clean_url, render_html

__all__ = [
    "BuiltFeed",
    "Descriptions",
    "CHAPTERS_TYPE",
    "ENCLOSURE_TYPES",
    "build_feed",
    "chapters_json",
    "clean_text",
    "clean_url",
    "enclosure_urls",
    "feed_key",
    "file_urls",
    "podcast_guid",
    "render_html",
    "render_items",
]
