"""A feed cut at its items, without parsing them, and put back together.

Four jobs cut showpipe's feeds at `<item>` (always written without attributes): knowing a
built feed's items, reading the items of a stored one, the lint of a changed feed (which reads
only the channel and the new items: the others are known by their bytes, `feeds.lintmemo.
LintMemo`) and the copy of a big feed holding only the items to read back. They share one cut
(`split_items`) and one layout (`join_items`), so an item has the same bytes, and the same
digest, wherever it stands, last or not.

A cut is made on the text, so it proves nothing by itself (an `<item>` in a CDATA section cuts
an item in two): each user proves the pieces it uses. The lint proves its cut before it is
used: the channel is parsed with one empty `<item/>` in the items' place, which must stand in
the channel and be the document's only item, and an item is used only once its bytes, parsed
alone with the namespaces in scope where it stood, are one `<item>` element and nothing else.
A feed laid out otherwise (items elsewhere, `<item>` in a CDATA section, a DOCTYPE, another
encoding than UTF-8) is not cut: it is linted whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from showpipe.feeds.xml import parse_xml

START, END = b"<item>", b"</item>"
# What XML counts as white space (strip() would take more).
SPACE, SPACE_TEXT = b" \t\r\n", " \t\r\n"
# Where lxml's pretty print puts an item of the channel, and the channel's end tag.
ITEM_LINE, CHANNEL_END_LINE = b"\n    ", b"\n  "


@dataclass(frozen=True)
class Items:
    """A feed as the text before its first `<item>`, each item's text from its `<item>` to
    the end of the piece (up to the next `<item>`, or the last `</item>`), and the text after
    its last `</item>`; the XML white space between them left out."""

    head: bytes
    items: list[bytes]
    tail: bytes


def split_items(xml: bytes) -> Items | None:
    """`xml` cut at its items (unproved: see above), or None if it has no `<item>`."""
    ends = _item_ends(xml)
    if ends is None:
        return None
    first, stop = ends
    pieces = xml[first + len(START) : stop].split(START)
    items = [START + piece.rstrip(SPACE) for piece in pieces]
    return Items(xml[:first].rstrip(SPACE), items, xml[stop:].lstrip(SPACE))


def _item_ends(xml: bytes) -> tuple[int, int] | None:
    """Where the first `<item>` starts and the last `</item>` ends."""
    first, last = xml.find(START), xml.rfind(END)
    return None if first < 0 or last < first else (first, last + len(END))


def channel_items(channel: bytes) -> Items:
    """A channel written without items, as `split_items` cuts a feed: its items go before
    the channel's end tag."""
    end = channel.rindex(b"</channel>")
    return Items(channel[:end].rstrip(SPACE), [], channel[end:])


def join_items(head: bytes, items: Iterable[bytes], tail: bytes) -> bytes:
    """A feed of `head`, `items` and `tail` (as `split_items` gives them), laid out as lxml
    pretty-prints a feed: each item on a line of its own, indented inside the channel, and
    `tail` (the channel's end tag) on the line after the last."""
    joined = ITEM_LINE.join(items)
    return b"".join((head, ITEM_LINE if joined else b"", joined, CHANNEL_END_LINE, tail))


@dataclass(frozen=True)
class FeedCut:
    """A feed as its channel and its items.

    `root` is the feed with an empty `<item/>` where its items stood; `items` holds, in
    order, each item's bytes as `split_items` cuts them. `prologue` opens a document where an
    item alone has the namespaces it had.
    """

    root: Any
    items: list[bytes]
    prologue: bytes

    def parse_item(self, item: bytes) -> Any:
        """The `<item>` element that `item` is alone, or None if it is anything else (not
        well-formed, more than one element, or text after it)."""
        try:
            root = parse_xml(self.prologue + item + b"</channel></rss>")
        except etree.XMLSyntaxError:
            return None
        # The bytes could close the channel and open another: then the root has two.
        if len(root) != 1 or len(root[0]) != 1:
            return None
        element = root[0][0]
        if element.tag != "item" or (element.tail or "").strip(SPACE_TEXT):
            return None
        return element


def cut_feed(xml: bytes) -> FeedCut | None:
    """The feed cut at its items, or None where the cut cannot be proved from its channel
    (the items themselves are proved one by one, by `FeedCut.parse_item`)."""
    cut = split_items(xml)
    return None if cut is None else proved_cut(cut)


def proved_cut(cut: Items) -> FeedCut | None:
    """A feed's pieces (as `split_items` cuts them, or as `join_items` joined them) as a
    `FeedCut`, or None where its channel does not prove the cut."""
    # With no `<item` but the one put in their place, and no DTD to declare entities, the
    # channel's only item element is the one put there.
    if b"<item" in cut.head or b"<item" in cut.tail or b"<!DOCTYPE" in cut.head:
        return None
    try:
        root = parse_xml(cut.head + b"<item/>" + cut.tail)
    except etree.XMLSyntaxError:
        return None
    channel = root.find("channel")
    place = root.find("channel/item")
    encoding = (root.getroottree().docinfo.encoding or "").upper()
    if root.tag != "rss" or place is None or place.getparent() is not channel:
        return None
    if encoding != "UTF-8":  # an item alone is read as UTF-8
        return None
    return FeedCut(root, cut.items, _prologue(place.nsmap))


def _prologue(namespaces: dict[str | None, str]) -> bytes:
    # Here, not at the top: saxutils imports urllib.request and ssl, which the runs that
    # only build feeds (cron's, an edit's) never need.
    from xml.sax.saxutils import quoteattr

    declared = "".join(
        f" xmlns{':' + prefix if prefix else ''}={quoteattr(uri)}"
        for prefix, uri in sorted(namespaces.items(), key=lambda p: str(p[0]))
    )
    return f"<rss{declared}><channel>".encode()
