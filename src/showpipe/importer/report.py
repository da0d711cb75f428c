"""What an import did: counts, the identity it kept, warnings, and what it could not carry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from showpipe.feeds.extensions import ATOM_NS, CONTENT_NS, ITUNES_NS, MEDIA_NS, PODCAST_NS, PSC_NS

_PREFIXES = {
    ITUNES_NS: "itunes",
    PODCAST_NS: "podcast",
    ATOM_NS: "atom",
    CONTENT_NS: "content",
    PSC_NS: "psc",
    MEDIA_NS: "media",
    "http://www.google.com/schemas/play-podcasts/1.0": "googleplay",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://www.rssboard.org/media-rss": "media",
}
# Tags read into the show, or rebuilt from it (dates, generator, links), per level.
CHANNEL_READ = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "generator", "docs", "ttl", "image", "item", "atom:link",
    "itunes:author", "itunes:owner", "itunes:image", "itunes:category", "itunes:explicit",
    "itunes:type", "itunes:block", "itunes:complete", "itunes:new-feed-url",
    "itunes:summary", "itunes:subtitle", "itunes:keywords", "podcast:guid", "podcast:locked",
    "podcast:person", "podcast:funding", "podcast:license", "podcast:podroll",
    "podcast:updateFrequency", "podcast:value", "podcast:medium", "content:encoded",
}  # fmt: skip
ITEM_READ = {
    "title", "link", "description", "guid", "pubDate", "enclosure", "author",
    "itunes:title", "itunes:summary", "itunes:subtitle", "itunes:duration", "itunes:image",
    "itunes:explicit", "itunes:block", "itunes:episode", "itunes:season",
    "itunes:episodeType", "itunes:keywords", "itunes:author", "content:encoded",
    "podcast:season", "podcast:episode", "podcast:person", "podcast:chapters",
    "podcast:transcript", "podcast:soundbite", "podcast:alternateEnclosure",
    "podcast:value", "psc:chapters",
}  # fmt: skip


def tag_name(element: etree._Element) -> str:
    """An element's name as feeds write it: `itunes:duration`, `podcast:value`, `ttl`."""
    qname = etree.QName(element)
    if not qname.namespace:
        return str(qname.localname)
    prefix = _PREFIXES.get(qname.namespace) or element.prefix or qname.namespace
    assert isinstance(prefix, str)
    return f"{prefix}:{qname.localname}"


@dataclass
class ImportReport:
    """Filled in while importing; the CLI prints it."""

    items: int = 0
    episodes: int = 0
    guids_kept: int = 0
    podcast_guid: str | None = None
    podcast_guid_from: str = ""  # "kept from the feed" or "derived from <url>"
    medium: str = "audio"
    lookups: int = 0
    artwork_fetched: int = 0
    warnings: list[str] = field(default_factory=list)
    unsupported: Counter[str] = field(default_factory=Counter)
    # `file:line: field: message` for each value the imported YAML still lacks.
    to_fill: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def count_unsupported(self, element: etree._Element, read: set[str], where: str) -> None:
        """Count the children of `element` this import does not carry over."""
        for child in element:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            name = tag_name(child)
            if name not in read:
                self.unsupported[f"{name} ({where})"] += 1

    def lines(self) -> list[str]:
        """The report as lines of text."""
        lines = [
            f"{self.items} item(s) read, {self.episodes} episode(s) imported, "
            f"{self.guids_kept} GUID(s) kept as they were; feed medium: {self.medium}",
            f"podcast:guid {self.podcast_guid or '(none)'}: {self.podcast_guid_from}",
            f"{self.lookups} file size(s) looked up, {self.artwork_fetched} image(s) fetched",
        ]
        if self.unsupported:
            lines.append("Not imported (showpipe cannot publish these yet):")
            lines += [f"  {name}: {n}" for name, n in sorted(self.unsupported.items())]
        return lines
