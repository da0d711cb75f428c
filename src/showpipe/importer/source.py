"""Reading the old feed: fetched or read from a file, parsed as XML even when slightly broken.

Real feeds are read with lxml in recovery mode (an undefined entity or a blank line before
the XML declaration does not lose the feed), and the Podcasting 2.0 namespace's original URI
is read as its current one, so both kinds of feed give the same elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from lxml import etree

from showpipe.errors import ImportFeedError
from showpipe.feeds.extensions import ATOM_NS, CONTENT_NS, ITUNES_NS, PODCAST_NS, PSC_NS
from showpipe.feeds.xml import parse_xml

# The namespace URI the Podcasting 2.0 tags were first published under; about half of real
# feeds still declare it (podcast-namespace README, "Namespace").
PODCAST_NS_ORIGINAL = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
IT, P, A = f"{{{ITUNES_NS}}}", f"{{{PODCAST_NS}}}", f"{{{ATOM_NS}}}"
CONTENT, PSC = f"{{{CONTENT_NS}}}", f"{{{PSC_NS}}}"
_ITUNES_VARIANT = re.compile(rb"http://www\.itunes\.com/dtds/podcast-1\.0\.dtd", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """The old feed as read: its channel element and the URL it is known by (if any)."""

    channel: etree._Element
    # Where the feed lived: its atom:link rel="self", else the URL it was fetched from, else
    # what --feed-url says. None for a file with none of these: never a local path.
    url: str | None
    fetched_from: str | None

    def absolute(self, url: str | None) -> str | None:
        """A URL from the feed made absolute: protocol-relative and relative ones resolved."""
        if not url or not url.strip():
            return None
        url = url.strip()
        base = self.url or self.fetched_from
        if url.startswith("//"):
            scheme = urlsplit(base).scheme if base else "https"
            return f"{scheme or 'https'}:{url}"
        if urlsplit(url).scheme:
            return url
        return urljoin(base, url) if base else None


def fetch_feed(source: str, session: requests.Session) -> tuple[bytes, str | None]:
    """The feed's bytes and the URL it was fetched from (None when read from a file)."""
    if urlsplit(source).scheme in ("http", "https"):
        try:
            response = session.get(source)
            response.raise_for_status()
        except requests.RequestException as e:
            raise ImportFeedError(f"{source}: cannot fetch the feed ({e})") from e
        return response.content, response.url
    try:
        return Path(source).read_bytes(), None
    except OSError as e:
        raise ImportFeedError(f"{source}: cannot read the feed ({e.strerror})") from e


def read_feed(xml: bytes, *, fetched_from: str | None, feed_url: str | None = None) -> Source:
    """Parse a podcast RSS feed.

    Raises:
        ImportFeedError: it is not XML, or not RSS with a titled channel.
    """
    xml = xml.replace(PODCAST_NS_ORIGINAL.encode(), PODCAST_NS.encode()).lstrip()
    # Old feeds (and Apple's own early samples) capitalise the iTunes namespace URI.
    xml = _ITUNES_VARIANT.sub(ITUNES_NS.encode(), xml)
    name = feed_url or fetched_from or "the feed"
    try:
        root = parse_xml(xml, recover=True)
    except etree.XMLSyntaxError as e:
        raise ImportFeedError(f"{name}: not an RSS feed ({e})") from e
    channel = root.find("channel")
    if channel is None or not (channel.findtext("title") or "").strip():
        raise ImportFeedError(f"{name}: not a podcast RSS feed (no channel with a title)")
    self_link = next(
        (
            link.get("href")
            for link in channel.findall(f"{A}link")
            if link.get("rel") == "self" and link.get("href")
        ),
        None,
    )
    url = feed_url or _own_url(self_link, fetched_from)
    return Source(channel, url, fetched_from)


def _own_url(self_link: str | None, fetched_from: str | None) -> str | None:
    """The feed's own URL: its self link if that is an absolute http(s) URL, else where it
    was fetched from."""
    if self_link and urlsplit(self_link.strip()).scheme in ("http", "https"):
        return self_link.strip()
    return fetched_from


def text_of(element: etree._Element | None, tag: str) -> str:
    """The stripped text of the first `tag` child, or ""."""
    if element is None:
        return ""
    return (element.findtext(tag) or "").strip()


def flag(value: str | None) -> bool | None:
    """A yes/no value as feeds write it (yes, true, explicit; no, false, clean), or None."""
    word = (value or "").strip().lower()
    if word in ("yes", "true", "explicit"):
        return True
    if word in ("no", "false", "clean"):
        return False
    return None
