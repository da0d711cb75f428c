"""A feed cut into its channel and the bytes of its items, without parsing the items.

The lint of a feed that changed in a few items reads only the channel and those items: the
others are known by their bytes (`feeds.findings.LintMemo`). The cut is made on the text, where
showpipe writes `<item>` (always without attributes), and is proved right before it is used:
the channel is parsed with one empty `<item/>` in the items' place, which must stand in the
channel and be the document's only item, and an item is used only once its bytes, parsed
alone with the namespaces in scope where it stood, are one `<item>` element and nothing else.
A feed laid out otherwise (items elsewhere, `<item>` in a CDATA section, a DOCTYPE, another
encoding than UTF-8) is not cut: it is linted whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from lxml import etree

from showpipe.feeds.xml import parse_xml

START, END = b"<item>", b"</item>"
# What XML counts as white space (str.strip would take more).
SPACE = " \t\r\n"


@dataclass(frozen=True)
class FeedCut:
    """A feed as its channel and its items.

    `root` is the feed with an empty `<item/>` where its items stood; `items` holds, in
    order, each item's bytes after its `<item>`, up to the next `<item>` (or to the last
    `</item>`): what one split of the text gives, with nothing copied again. `prologue` opens
    a document where an item alone has the namespaces it had.
    """

    root: Any
    items: list[bytes]
    prologue: bytes

    def parse_item(self, item: bytes) -> Any:
        """The `<item>` element that `<item>` and then `item` are alone, or None if they are
        anything else (not well-formed, more than one element, or text after it)."""
        try:
            root = parse_xml(self.prologue + START + item + b"</channel></rss>")
        except etree.XMLSyntaxError:
            return None
        # The bytes could close the channel and open another: then the root has two.
        if len(root) != 1 or len(root[0]) != 1:
            return None
        element = root[0][0]
        if element.tag != "item" or (element.tail or "").strip(SPACE):
            return None
        return element


def cut_feed(xml: bytes) -> FeedCut | None:
    """The feed cut at its items, or None where the cut cannot be proved from its channel
    (the items themselves are proved one by one, by `FeedCut.parse_item`)."""
    first, last = xml.find(START), xml.rfind(END)
    if first < 0 or last < first:
        return None
    head, tail = xml[:first], xml[last + len(END) :]
    # With no `<item` but the one put in their place, and no DTD to declare entities, the
    # channel's only item element is the one put there.
    if b"<item" in head or b"<item" in tail or b"<!DOCTYPE" in head:
        return None
    try:
        root = parse_xml(head + b"<item/>" + tail)
    except etree.XMLSyntaxError:
        return None
    channel = root.find("channel")
    place = root.find("channel/item")
    encoding = (root.getroottree().docinfo.encoding or "").upper()
    if root.tag != "rss" or place is None or place.getparent() is not channel:
        return None
    if encoding != "UTF-8":  # an item alone is read as UTF-8
        return None
    body = xml[first + len(START) : last + len(END)]
    return FeedCut(root, body.split(START), _prologue(place.nsmap))


def _prologue(namespaces: dict[str | None, str]) -> bytes:
    declared = "".join(
        f" xmlns{':' + prefix if prefix else ''}={quoteattr(uri)}"
        for prefix, uri in sorted(namespaces.items(), key=lambda p: str(p[0]))
    )
    return f"<rss{declared}><channel>".encode()
