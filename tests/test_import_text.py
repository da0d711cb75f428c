"""Show notes of the corpus feeds: HTML to Markdown and back gives the same notes."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import nh3
import pytest

from showpipe.feeds.text import render_html
from showpipe.importer.source import read_feed
from showpipe.importer.text import is_html, richest, to_markdown

FEEDS = Path(__file__).parent / "data" / "feeds"
# What showpipe publishes of HTML (feeds/text.py): compare like with like.
KEPT = {"p", "ol", "ul", "li", "a", "strong", "em", "b", "i", "br", "code", "blockquote"}


def notes(html: str) -> tuple[str, list[str], int]:
    """The words, the link targets and the list items of some HTML, as a reader sees them."""
    clean = nh3.clean(html, tags=KEPT, attributes={"a": {"href"}})
    root = lxml.html.fragment_fromstring(clean or "<p></p>", create_parent="div")
    for element in root.iter("p", "li", "br", "blockquote", "ul", "ol"):
        element.tail = " " + (element.tail or "")  # blocks apart, as a reader sees them
    words = " ".join(root.text_content().split())
    links = [
        a.get("href", "").strip().replace(" ", "%20")
        for a in root.iter("a")
        if a.get("href", "").strip() and a.text_content().strip()  # what a reader can click
    ]
    return words, links, len(root.findall(".//li"))


def html_items(name: str) -> list[object]:
    """The items of a corpus feed whose richest notes are HTML."""
    channel = read_feed((FEEDS / name).read_bytes(), fetched_from=None).channel
    return [item for item in channel.findall("item") if is_html(richest(item))]


# Only the feeds with HTML notes: a feed of plain-text notes would check nothing here
# (plain text is test_import_faults' business).
WITH_HTML = sorted(p.name for p in FEEDS.glob("*.xml") if html_items(p.name))


@pytest.mark.parametrize("name", WITH_HTML)
def test_html_show_notes_survive_the_round_trip(name: str) -> None:
    channel = read_feed((FEEDS / name).read_bytes(), fetched_from=None).channel
    checked = 0
    for item in channel.findall("item"):
        html = richest(item)
        if not is_html(html):
            continue
        words, links, items = notes(html)
        back_words, back_links, back_items = notes(render_html(to_markdown(html)))
        title = item.findtext("title")
        assert back_words == words, title
        assert back_links == links, title
        assert back_items == items, title
        checked += 1
    assert checked > 0
    if name in ("art19-1865.xml", "fireside-launched.xml", "acast-sentimental-garbage.xml"):
        assert checked > 10
