"""Descriptions and names as old feeds write them, turned into this project's fields.

An episode's `description` is Markdown that showpipe renders back to HTML; its `summary` is
plain text. lxml has decoded the XML's entities once; HTML is parsed as HTML (its own
entities decoded there), plain text is never decoded again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from showpipe.importer.markdown import escape, html_to_markdown
from showpipe.importer.source import CONTENT, IT

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
# Elements after which words belong to a new block: a space keeps them apart in plain text.
_BLOCKS = {"p", "br", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "tr"}
_BLOCKS |= {"blockquote", "pre", "hr", "table", "dd", "dt"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_NAME_AND_EMAIL = re.compile(r"^\s*(?P<email>[^\s()]+@[^\s()]+)\s*\((?P<name>[^()]*)\)\s*$")
_EMAIL_AND_NAME = re.compile(
    r"^\s*(?P<name>[^()<>]*?)\s*[(<](?P<email>[^\s()<>]+@[^\s()<>]+)[)>]\s*$"
)


def is_html(text: str) -> bool:
    return bool(_TAG.search(text))


def richest(item: etree._Element) -> str:
    """The fullest of content:encoded, description and itunes:summary (HTML before plain
    text, then the longest), whatever order the feed gives them in."""
    found = [
        (item.findtext(tag) or "").strip()
        for tag in (f"{CONTENT}encoded", "description", f"{IT}summary")
    ]
    candidates = [text for text in found if text]
    if not candidates:
        return ""
    return max(candidates, key=lambda text: (is_html(text), len(text)))


def to_markdown(text: str) -> str:
    """A description as Markdown that renders back to the same paragraphs, links, lists and
    emphasis; plain text keeps its paragraphs, and its line breaks as hard breaks (`\\`)."""
    if not text.strip():
        return ""
    if is_html(text):
        return html_to_markdown(text)
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "\n\n".join(_plain_paragraph(p) for p in paragraphs if p.strip())


def _plain_paragraph(paragraph: str) -> str:
    lines = [escape(line.strip()) for line in paragraph.strip().split("\n")]
    return "\\\n".join(line for line in lines if line)


def to_plain(text: str) -> str:
    """Plain text of a description, blocks separated by a space, whitespace collapsed."""
    if not text.strip():
        return ""
    if not is_html(text):
        return " ".join(text.split())
    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(_TAG.sub(" ", text).split())
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = " " + (element.tail or "")
    return " ".join(root.text_content().split())


@dataclass(frozen=True)
class Who:
    name: str
    email: str


def split_person(text: str) -> Who:
    """`Name (email)`, `email (Name)`, `Name <email>` or a bare address, as name and email."""
    text = " ".join(text.split())
    for pattern in (_NAME_AND_EMAIL, _EMAIL_AND_NAME):
        found = pattern.match(text)
        if found:
            return Who(found.group("name").strip(), found.group("email").strip())
    if _EMAIL.fullmatch(text):
        return Who("", text)
    return Who(text, "")
