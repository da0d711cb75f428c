"""The lint's rules (docs/feed-rules.md): what apps reject (errors) or handle badly
(warnings), checked on a feed's parsed channel and on each item alone (`feeds.lint` decides
which items to read).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from showpipe.feeds.build import podcast_guid
from showpipe.feeds.extensions import (
    ATOM_NS,
    CONTENT_NS,
    ITUNES_NS,
    MEDIA_NS,
    PODCAST_NS,
    PSC_NS,
)
from showpipe.feeds.findings import Finding, ItemLint
from showpipe.feeds.schema import schema_problems
from showpipe.model.fields import apple_categories

KNOWN_NAMESPACES = {ITUNES_NS, PODCAST_NS, MEDIA_NS, PSC_NS, ATOM_NS, CONTENT_NS}
# The enclosure types Apple accepts (docs/feed-rules.md, "Items").
APPLE_TYPES = {
    "audio/mpeg",
    "audio/x-m4a",
    "video/mp4",
    "video/quicktime",
    "video/x-m4v",
    "application/pdf",
}
MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course"}
MEDIUMS |= {m + "L" for m in MEDIUMS} | {"mixed"}
MAX_BYTES = 4000
_I, _P = f"{{{ITUNES_NS}}}", f"{{{PODCAST_NS}}}"


class Linter:
    """The findings about one feed so far, and what its checks share."""

    def __init__(self, name: str, public: bool) -> None:
        self.where = f"feeds/{name}.xml"
        self.public = public
        self.findings: list[Finding] = []
        self.show_title = ""
        # The XSD's verdicts on the podcast:* elements met so far, by their XML, for the whole
        # feed: the hosts' and the seasons' elements repeat in every item.
        self.checked: dict[bytes, list[str]] = {}

    def error(self, where: str, message: str) -> None:
        self.findings.append(Finding("error", where, message))

    def warn(self, where: str, message: str) -> None:
        self.findings.append(Finding("warning", where, message))


def feed_findings(lint: Linter, root: Any, channel: Any, items: list[ItemLint]) -> list[Finding]:
    """The feed's findings, errors first: its channel's, then its items' with the checks
    across them (the items' elements are not read: `items` holds what they found)."""
    _namespaces(lint, root)
    _channel(lint, channel)
    _items(lint, items)
    outside = list(_outside_items(root))
    insecure = _urls(lint, outside) + sum(item.insecure for item in items)
    lint.findings += [f for item in items for f in item.urls]
    if insecure:
        lint.error(lint.where, f"{insecure} URL(s) use http, not https, in a public feed")
    _podcast_tags(lint, outside)
    lint.findings += [f for item in items for f in item.tags]
    return sorted(lint.findings, key=lambda f: f.severity != "error")


def lint_item(lint: Linter, item: Any, serial: bool) -> ItemLint:
    """Lint one item alone, with the feed's name, title and publicness from `lint`."""
    alone = Linter(lint.where.removeprefix("feeds/").removesuffix(".xml"), lint.public)
    alone.show_title, alone.checked = lint.show_title, lint.checked
    label = str(item.findtext("title") or item.findtext("guid"))
    where = f"{lint.where}: item '{label}'"
    enclosure = item.find("enclosure")
    _enclosure(alone, where, enclosure)
    own_enclosure, alone.findings = alone.findings, []
    date = _timestamp(_item_fields(alone, where, item, serial=serial))
    fields, alone.findings = alone.findings, []
    insecure = _urls(alone, item.iter())
    urls, alone.findings = alone.findings, []
    _podcast_tags(alone, item.iter())
    return ItemLint(
        label=label,
        guid=item.findtext("guid"),
        enclosure_url=enclosure.get("url") if enclosure is not None else None,
        date=date,
        insecure=insecure,
        enclosure=tuple(own_enclosure),
        fields=tuple(fields),
        urls=tuple(urls),
        tags=tuple(alone.findings),
    )


def _timestamp(date: datetime | None) -> float | None:
    """An item's date as a timestamp. A date in zone -0000 is read without one (naive): it
    is UTC with no local zone known (RFC 5322, 3.3), and comparable with the others as such."""
    if date is None:
        return None
    return (date if date.tzinfo else date.replace(tzinfo=UTC)).timestamp()


def _outside_items(root: Any) -> Iterator[Any]:
    """Every element of the feed but the items and what is inside them, in document order."""
    yield root
    for child in root:
        if child.tag != "channel":
            yield from child.iter()
            continue
        yield child
        for element in child:
            if element.tag != "item":
                yield from element.iter()


def _namespaces(lint: Linter, root: Any) -> None:
    for prefix, uri in sorted((root.nsmap or {}).items(), key=lambda p: str(p[0])):
        close = [k for k in KNOWN_NAMESPACES if k.lower().rstrip("/") == uri.lower().rstrip("/")]
        if uri not in KNOWN_NAMESPACES and close:
            lint.error(lint.where, f"namespace {prefix} is '{uri}'; apps only know '{close[0]}'")


def _text_limit(lint: Linter, where: str, element: Any, tag: str, *, required: bool) -> None:
    text = element.findtext(tag)
    if not text or not text.strip():
        if required:
            lint.error(where, f"<{tag}> is missing or empty")
        return
    if len(text.encode("utf-8")) > MAX_BYTES:
        lint.error(where, f"<{tag}> is longer than {MAX_BYTES} bytes")


def _channel(lint: Linter, channel: Any) -> None:
    where = lint.where
    _text_limit(lint, where, channel, "description", required=True)
    title = channel.findtext("title") or ""
    if not title.strip() or len(title) > 255:
        lint.error(where, "<title> must have 1 to 255 characters")
    if not channel.findtext("language"):
        lint.error(where, "<language> is missing")
    image = channel.find(f"{_I}image")
    if image is None or not image.get("href"):
        lint.error(where, "no artwork (itunes:image href)")
    if channel.findtext(f"{_I}explicit") not in ("true", "false"):
        lint.error(where, "itunes:explicit must be true or false")
    if channel.findtext(f"{_I}type", "episodic") not in ("episodic", "serial"):
        lint.error(where, "itunes:type must be episodic or serial")
    _categories(lint, channel)
    _podcast_guid(lint, channel)
    if channel.find(f"{{{ATOM_NS}}}link[@rel='self']") is None:
        lint.warn(where, 'no <atom:link rel="self"> (apps use it to find the feed again)')
    medium = channel.findtext(f"{_P}medium")
    if medium is not None and medium not in MEDIUMS:
        lint.error(where, f"podcast:medium '{medium}' is not one of the spec's values")


def _categories(lint: Linter, channel: Any) -> None:
    categories = channel.findall(f"{_I}category")
    if not categories:
        lint.error(lint.where, "no itunes:category")
    apple = apple_categories()
    for category in categories:
        text = category.get("text", "")
        if text not in apple:
            lint.error(lint.where, f"category '{text}' is not on Apple's list")
            continue
        for sub in category.findall(f"{_I}category"):
            if sub.get("text") not in apple[text]:
                lint.error(lint.where, f"'{sub.get('text')}' is not a subcategory of {text}")


def _podcast_guid(lint: Linter, channel: Any) -> None:
    guid = channel.findtext(f"{_P}guid")
    if guid is None:
        lint.warn(lint.where, "no podcast:guid")
        return
    try:
        uuid.UUID(guid)
    except ValueError:
        lint.error(lint.where, f"podcast:guid '{guid}' is not a UUID")
        return
    self_link = channel.find(f"{{{ATOM_NS}}}link[@rel='self']")
    if self_link is not None:
        if guid != podcast_guid(self_link.get("href", "")):
            lint.warn(lint.where, "podcast:guid is not the UUIDv5 of this feed's URL (moved?)")


def _items(lint: Linter, items: list[ItemLint]) -> None:
    """The items' own problems, with the checks across items: shared GUIDs and enclosure
    URLs, and the order of the dates."""
    guids = Counter(item.guid for item in items)
    urls = Counter(item.enclosure_url for item in items if item.enclosure_url is not None)
    for item in items:
        if not item.guid:
            lint.error(item.where(lint.where), "no <guid>")
        elif guids[item.guid] > 1:
            message = f"GUID {item.guid} is used by {guids[item.guid]} items"
            lint.error(item.where(lint.where), message)
        lint.findings += item.enclosure
        if item.enclosure_url is not None and urls[item.enclosure_url] > 1:
            message = f"enclosure URL {item.enclosure_url} is used by another item"
            lint.error(item.where(lint.where), message)
        lint.findings += item.fields
    known = [item.date for item in items if item.date is not None]
    if known != sorted(known, reverse=True):
        lint.warn(lint.where, "items are not newest first")


def _enclosure(lint: Linter, where: str, enclosure: Any) -> None:
    if enclosure is None:
        lint.error(where, "no <enclosure>")
        return
    if not (enclosure.get("length") or "").isdigit() or enclosure.get("length") == "0":
        lint.error(where, f"enclosure length '{enclosure.get('length')}' is not a byte count")
    if enclosure.get("type") not in APPLE_TYPES:
        lint.error(where, f"enclosure type '{enclosure.get('type')}' is not accepted by Apple")


def _item_fields(lint: Linter, where: str, item: Any, *, serial: bool) -> datetime | None:
    title = (item.findtext("title") or "").strip()
    if not title:
        lint.error(where, "<title> is missing or empty")
    elif lint.show_title and re.search(rf"\b{re.escape(lint.show_title)}\b", title, re.I):
        lint.warn(where, "the title repeats the show's name (Apple asks not to)")
    _text_limit(lint, where, item, "description", required=False)
    duration = item.findtext(f"{_I}duration") or ""
    if not duration.isdigit() or duration == "0":
        lint.warn(where, "episode without duration (itunes:duration in whole seconds)")
    # Apple numbers a serial show's full episodes; trailers and bonus items stand apart.
    full = item.findtext(f"{_I}episodeType", "full") == "full"
    if serial and full and not item.findtext(f"{_I}episode"):
        lint.error(where, "a serial show needs itunes:episode on every full episode")
    for tag in ("episode", "season"):
        value = item.findtext(f"{_I}{tag}")
        if value is not None and (not value.isdigit() or int(value) == 0):
            lint.error(where, f"itunes:{tag} '{value}' is not a positive whole number")
    if item.findtext(f"{_I}episodeType", "full") not in ("full", "trailer", "bonus"):
        lint.error(where, "itunes:episodeType must be full, trailer or bonus")
    _soundbites_and_chapters(lint, where, item)
    try:
        return parsedate_to_datetime(item.findtext("pubDate") or "")
    except (TypeError, ValueError):
        lint.error(where, f"pubDate '{item.findtext('pubDate')}' is not an RFC 2822 date")
        return None


def _soundbites_and_chapters(lint: Linter, where: str, item: Any) -> None:
    for bite in item.findall(f"{_P}soundbite"):
        if not 15 <= float(bite.get("duration") or 0) <= 120:
            lint.warn(where, "podcast:soundbite should last 15 to 120 seconds")
    starts = [c.get("start", "") for c in item.iterfind(f"{{{PSC_NS}}}chapters/{{*}}chapter")]
    if starts != sorted(starts):
        lint.error(where, "psc:chapter start times are not ascending")


def _url_attributes(elements: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for element in elements:
        if not isinstance(element.tag, str):
            continue
        for attribute in ("url", "href", "uri", "img", "image", "feedUrl"):
            value = element.get(attribute)
            if value is not None:
                yield etree.QName(element).localname, value


def _urls(lint: Linter, elements: Iterable[Any]) -> int:
    """Report the malformed URLs of `elements`; return how many use http in a public feed."""
    insecure = 0
    schemes: dict[str, str | None] = {}  # URL -> its scheme if well formed: hosts' links repeat
    for tag, url in _url_attributes(elements):
        if url not in schemes:
            parts = urlsplit(url)
            well_formed = url.isascii() and " " not in url and parts.scheme and parts.netloc
            schemes[url] = parts.scheme if well_formed else None
        if schemes[url] is None:
            lint.error(lint.where, f"<{tag}> URL '{url}' is not absolute, ASCII, percent-encoded")
        elif schemes[url] == "http" and lint.public:
            insecure += 1
    return insecure


def _podcast_tags(lint: Linter, elements: Iterable[Any]) -> None:
    for element in elements:
        if not (isinstance(element.tag, str) and element.tag.startswith(_P)):
            continue
        for message in schema_problems(element, lint.checked):
            lint.error(lint.where, f"podcast:{etree.QName(element).localname}: {message}")
        if etree.QName(element).localname == "alternateEnclosure" and (
            not element.get("type") or element.find(f"{_P}source") is None
        ):
            lint.error(lint.where, "podcast:alternateEnclosure needs a type and a podcast:source")
