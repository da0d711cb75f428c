"""Checks on a built feed before it is uploaded: read back as an app reads it, and GUIDs kept.

Both raise FeedError while publishing is still planning, so a failed check uploads nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import podcastparser
from lxml import etree

from showpipe.digests import data_digest
from showpipe.errors import FeedError
from showpipe.feeds.cut import END, Items, join_items, split_items
from showpipe.feeds.extensions import PODCAST_NS
from showpipe.feeds.xml import parse_xml


@dataclass(frozen=True)
class ExpectedItem:
    """What an item must look like to an app: its GUID and its enclosure."""

    guid: str
    url: str
    length: int


def read_back(feed_url: str, xml: bytes, expected: Sequence[ExpectedItem]) -> None:
    """Parse `xml` with gPodder's podcastparser and compare it with what was meant.

    Raises:
        FeedError: the parser fails, or the items, GUIDs, enclosure URLs or lengths differ.
    """
    name = feed_url.rsplit("/", 1)[-1]
    try:
        parsed = podcastparser.parse(feed_url, io.BytesIO(xml))
    except Exception as e:  # podcastparser raises FeedParseError and the SAX errors as they are
        raise FeedError(f"{name}: gPodder's parser cannot read the built feed: {e}") from e
    items = parsed.get("episodes", [])
    problems = []
    if len(items) != len(expected):
        problems.append(f"{len(items)} items read back, {len(expected)} meant")
    # By GUID, not position: podcastparser lists a serial show oldest first.
    read = {item.get("guid"): item for item in items}
    for meant in expected:
        item = read.get(meant.guid)
        if item is None:
            problems.append(f"GUID {meant.guid!r} is missing")
            continue
        # podcastparser also lists media:content; it points at the enclosure's URL.
        enclosures = {e["url"]: e["file_size"] for e in item.get("enclosures", [])}
        if enclosures != {meant.url: meant.length}:
            problems.append(
                f"{meant.guid}: enclosures {enclosures}, meant {{{meant.url!r}: {meant.length}}}"
            )
    if problems:
        raise FeedError(
            f"{name}: the built feed reads back wrong in gPodder's parser, so nothing was "
            "uploaded: " + "; ".join(problems[:5])
        )


# Items per piece when a big feed is read back on several cores: small enough for the cores
# to finish together, big enough that what each piece repeats (the channel, parsed again;
# the bytes sent to a worker) stays small.
PIECE_ITEMS = 250


@dataclass(frozen=True)
class ReadBack:
    """A built feed (or a copy of it holding some of its items) to parse back with
    podcastparser, and the items it must hold."""

    url: str
    xml: bytes
    expected: Sequence[ExpectedItem]

    def run(self) -> None:
        """`read_back`. Raises FeedError."""
        read_back(self.url, self.xml, self.expected)


def cut_read_back(
    url: str,
    xml: bytes,
    pieces: Items,
    expected: Sequence[ExpectedItem],
    todo: Sequence[ExpectedItem],
) -> list[ReadBack]:
    """What reading `todo` back takes, of the feed `xml` joined from `pieces` (whose items
    are those of `expected`, in order): the feed itself when `todo` is every item and fits
    one piece; else copies of it holding `PIECE_ITEMS` of `todo`'s items each, to be read on
    every core."""
    if len(todo) == len(expected) <= PIECE_ITEMS:
        return [ReadBack(url, xml, todo)]
    written = dict(zip((e.guid for e in expected), pieces.items, strict=True))
    cuts = [todo[i : i + PIECE_ITEMS] for i in range(0, len(todo), PIECE_ITEMS)]
    return [
        ReadBack(url, join_items(pieces.head, [written[e.guid] for e in cut], pieces.tail), cut)
        for cut in cuts
    ]


def item_digest(item: str, meant: ExpectedItem) -> str:
    """Names an item's XML (by the digest of its bytes, as `FeedItems` has it) together with
    what it must read back as: equal digests, equal verdicts, so an item read back right
    once need not be read again."""
    return data_digest(f"{item}\0{meant.guid}\0{meant.url}\0{meant.length}".encode())


@dataclass(frozen=True)
class FeedItems:
    """What a feed promises its subscribers: the show's GUID, and each item by GUID."""

    channel_guid: str | None
    items: dict[str, tuple[str, str]]  # GUID -> (title, digest of the item's XML)
    count: int = 0  # of <item>s, a GUID twice included


def feed_items(xml: bytes | None) -> FeedItems:
    """Parse a feed once for the GUID guard and the item diff (empty if unreadable)."""
    if not xml:
        return FeedItems(None, {})
    try:
        root = parse_xml(xml)
    except etree.XMLSyntaxError:
        return FeedItems(None, {})
    channel = root.find("channel")
    if channel is None:
        return FeedItems(None, {})
    found = channel.findall("item")
    written = _items_as_written(xml, len(found)) or [etree.tostring(item) for item in found]
    items = {
        item.findtext("guid") or "": (item.findtext("title") or "", data_digest(text))
        for item, text in zip(found, written, strict=True)
    }
    return FeedItems(channel.findtext(f"{{{PODCAST_NS}}}guid"), items, len(found))


def _items_as_written(xml: bytes, count: int) -> list[bytes] | None:
    """Each item's bytes as they stand in `xml` (`cut.split_items`), if its items are the
    channel's last elements (as showpipe writes them); None otherwise. Cutting the text is
    much faster than serialising thousands of parsed items again."""
    cut = split_items(xml)
    if cut is None or len(cut.items) != count or not all(i.endswith(END) for i in cut.items):
        return None  # another layout, or "<item>" in a CDATA section
    return cut.items


def guard_guids(
    name: str,
    published: FeedItems,
    built: FeedItems,
    *,
    unpublished: Collection[str],
    why_gone: Callable[[str, str], str],
) -> None:
    """Refuse a feed that would change the channel's GUID or drop an item's GUID.

    Apps know a show and its episodes by these GUIDs: a changed one makes every subscriber
    download everything again, or lose an episode. Only episodes marked `unpublished: true`
    may leave a feed. `why_gone(guid, title)` says why an item would leave, and the fix.

    Raises:
        FeedError: naming the episodes, the cause and what to do.
    """
    old_guid, old_items = published.channel_guid, published.items
    new_guid, new_items = built.channel_guid, built.items
    if old_guid and new_guid != old_guid:
        raise FeedError(
            f"feeds/{name}.xml: podcast:guid would change from {old_guid} to {new_guid} "
            f"(did the public URL change?); a moved feed keeps its GUID: set "
            f"`podcast_guid: {old_guid}` in feeds/{name}.yaml"
        )
    gone = [
        f"'{title}' ({guid}): {why_gone(guid, title)}"
        for guid, (title, _) in old_items.items()
        if guid not in new_items and guid not in unpublished
    ]
    if gone:
        raise FeedError(
            f"feeds/{name}.xml: {len(gone)} published episode(s) would disappear from the feed, "
            "and apps would lose or re-download them:\n  "
            + "\n  ".join(gone[:5])
            + ("\n  …" if len(gone) > 5 else "")
            + "\n(to take an episode down on purpose, set `unpublished: true` in its YAML)"
        )
