"""A feed is cut at its items only where the cut is proved: anything else is linted whole."""

from __future__ import annotations

import pytest

from showpipe.feeds.cut import channel_items, cut_feed, join_items, split_items
from showpipe.feeds.extensions import ITUNES_NS

HEAD = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>T</title>
    <description>D</description>
"""
TAIL = """  </channel>
</rss>
"""


def pretty_item(guid: str, notes: str = "<p>Notes</p>") -> str:
    """An item as showpipe writes it: indented, its show notes in a CDATA section."""
    return (
        f"<item>\n      <title>E {guid}</title>\n"
        f"      <content:encoded><![CDATA[{notes}]]></content:encoded>\n"
        f'      <guid isPermaLink="false">{guid}</guid>\n'
        f"      <itunes:duration>60</itunes:duration>\n    </item>"
    )


def feed(*items: str, head: str = HEAD, tail: str = TAIL) -> bytes:
    return (head + "".join(f"    {item}\n" for item in items) + tail).encode()


def test_a_feed_is_cut_at_its_items() -> None:
    items = [pretty_item("g1"), pretty_item("g2", "<ul><li>a</li></ul>"), pretty_item("g3")]
    cut = cut_feed(feed(*items))
    assert cut is not None
    assert cut.items == [item.encode() for item in items]
    assert [cut.parse_item(item).findtext("guid") for item in cut.items] == ["g1", "g2", "g3"]
    duration = cut.parse_item(cut.items[0]).find(f"{{{ITUNES_NS}}}duration")
    assert duration is not None and duration.text == "60"  # the feed's namespaces, in scope
    channel = cut.root.find("channel")
    assert channel.findtext("title") == "T"
    (place,) = channel.findall("item")
    assert len(place) == 0 and place.text is None


@pytest.mark.parametrize(
    ("head", "items", "tail"),
    [
        # no item at all
        (HEAD, [], TAIL),
        # "<item>" in the channel's text: the cut could start there
        (HEAD.replace("<description>D", "<description><![CDATA[<item>]]>D"), ["g1"], TAIL),
        # an item written with an attribute, which the text search does not see
        (HEAD + '    <item id="x"><title>X</title></item>\n', ["g1"], TAIL),
        (HEAD, ["g1"], '    <item id="x"><title>X</title></item>\n' + TAIL),
        # the items inside another element than the channel
        (HEAD + "    <image>\n", ["g1", "g2"], "    </image>\n" + TAIL),
        # a DTD, which could declare entities the items use
        (HEAD.replace("<rss", '<!DOCTYPE rss [<!ENTITY e "x">]>\n<rss'), ["g1"], TAIL),
        # another encoding than UTF-8
        (HEAD.replace("UTF-8", "ISO-8859-1"), ["g1"], TAIL),
        # the channel is not well-formed
        (HEAD.replace("</title>", ""), ["g1"], TAIL),
    ],
)
def test_a_layout_the_cut_cannot_prove_is_not_cut(head: str, items: list[str], tail: str) -> None:
    """Not cut, or an item of the cut refused: the lint reads the feed whole."""
    cut = cut_feed(feed(*map(pretty_item, items), head=head, tail=tail))
    assert cut is None or any(cut.parse_item(item) is None for item in cut.items)


@pytest.mark.parametrize(
    "item",
    [
        "<item><title>a</title></item><extra/>",
        "<item><title>a</title></item>text after it",
        "<item><title>a</title></item><!-- a comment -->",
        # closes the channel and opens another: still well-formed around it
        "<item><title>a</title></item></channel><channel><item><title>b</title></item>",
        # what a cut inside a CDATA section leaves
        "<item><content:encoded><![CDATA[<p>",
        "<item><undeclared:x/></item>",
    ],
)
def test_bytes_that_are_not_one_item_alone_are_refused(item: str) -> None:
    cut = cut_feed(feed(pretty_item("g1")))
    assert cut is not None
    assert cut.parse_item(item.encode()) is None


def test_an_item_holding_item_in_its_cdata_is_cut_but_refused() -> None:
    """The cut is made at the text `<item>` inside the show notes; the pieces it gives are not
    items alone, so the lint reads that feed whole."""
    xml = feed(pretty_item("g1", "<p>an <item> in the notes</p>"), pretty_item("g2"))
    cut = cut_feed(xml)
    assert cut is not None and len(cut.items) == 3
    assert [cut.parse_item(item) is None for item in cut.items] == [True, True, False]


def test_an_item_has_the_same_bytes_wherever_it_stands() -> None:
    """The lint memo knows an item by its bytes: the last item's must not lose what the
    others keep (or the other way round), or a new episode makes the last one new too."""
    one, two = pretty_item("g1"), pretty_item("g2")
    first, second = cut_feed(feed(one, two)), cut_feed(feed(two, one))
    assert first is not None and second is not None
    assert first.items == second.items[::-1] == [one.encode(), two.encode()]


def test_a_feed_is_put_back_together_as_it_was_cut() -> None:
    """The copy of a feed holding some of its items (to read them back) is laid out as the
    feed: with all of them, it is the feed itself, byte for byte."""
    xml = feed(pretty_item("g1"), pretty_item("g2"), pretty_item("g3"))
    cut = split_items(xml)
    assert cut is not None
    assert join_items(cut.head, cut.items, cut.tail) == xml
    assert join_items(cut.head, cut.items[1:2], cut.tail) == feed(pretty_item("g2"))
    channel = feed()  # as feedgen writes a channel alone
    place = channel_items(channel)
    assert (place.items, join_items(place.head, [], place.tail)) == ([], channel)
    assert join_items(place.head, cut.items, place.tail) == xml
