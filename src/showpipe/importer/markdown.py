"""HTML show notes as Markdown that renders back to the same HTML showpipe publishes.

Only what the feeds keep is converted (paragraphs, line breaks, links, lists, emphasis,
code, quotes, headings); other elements keep their text. Written on lxml rather than a
general converter because a big show has thousands of descriptions: this is ~20x faster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.html
from lxml import etree

_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+[.)])(?=\s)", re.MULTILINE)
_BLOCKS = {"p", "div", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS |= {"table", "section", "article", "header", "footer", "figure", "hr", "dl"}
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*"}


def escape(text: str) -> str:
    """Plain text that Markdown shows as it is."""
    return _LINE_START.sub(r"\1\\\2", _SPECIAL.sub(r"\\\1", text))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _inline(element: etree._Element) -> Iterator[str]:
    """The Markdown of an element's content, inline (text, links, emphasis, breaks)."""
    before = escape(_squash(element.text)) if element.text else ""
    yield before
    for child in element:
        piece = "".join(_node(child))
        after = escape(_squash(child.tail)) if child.tail else ""
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag in _EMPHASIS and not _can_emphasise(before, piece, after, _EMPHASIS[tag]):
            piece = piece.replace(_EMPHASIS[tag], "", 1)[::-1].replace(_EMPHASIS[tag], "", 1)[::-1]
        yield piece
        yield after
        before = after or piece


def _can_emphasise(before: str, piece: str, after: str, mark: str) -> bool:
    """Whether Markdown reads `piece` as emphasis where it stands: a run starting with
    punctuation right after a letter (`today**!**`), or ending with punctuation right
    before one, is not (CommonMark's flanking rules), so it is written without marks."""
    core = piece.strip()
    if not core.startswith(mark) or len(core) <= 2 * len(mark):
        return True
    first, last = core[len(mark)], core[-len(mark) - 1]
    prev = piece[:1] if piece[:1].isspace() else before[-1:]
    nxt = piece[-1:] if piece[-1:].isspace() else after[:1]
    opens = not (prev.isalnum() and not first.isalnum() and not first.isspace())
    closes = not (nxt.isalnum() and not last.isalnum() and not last.isspace())
    return opens and closes


def _node(element: etree._Element) -> Iterator[str]:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if not tag:
        return  # comments, processing instructions
    if tag == "br":
        yield "\\\n"
    elif tag in ("script", "style", "img"):
        return
    elif tag == "a" and element.get("href", "").strip():
        target = _destination(element.get("href", ""))
        yield _wrapped("".join(_inline(element)), "[", f"]({target})")
    elif tag in _EMPHASIS:
        mark = _EMPHASIS[tag]
        yield _wrapped("".join(_inline(element)), mark, mark)
    elif tag == "code":
        code = element.text_content().replace("`", "'")
        yield f"`{code}`" if code else ""
    elif tag in _BLOCKS or tag == "li":
        yield "\n\n" + "".join(_block(element)).strip() + "\n\n"
    else:
        yield from _inline(element)


def _wrapped(inner: str, before: str, after: str) -> str:
    """`inner` between Markdown marks, its outer spaces kept outside them (`*a *b` would
    not be emphasis); an empty link or emphasis shows nothing, as in HTML."""
    core = inner.strip()
    if not core:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
    return f"{lead}{before}{core}{after}{trail}"


def _destination(href: str) -> str:
    """A link target as Markdown writes it: in <…> when it has spaces or parentheses."""
    href = href.strip().replace("<", "%3C").replace(">", "%3E")
    return f"<{href}>" if re.search(r"[\s()]", href) else href


def _list(element: etree._Element, ordered: bool) -> Iterator[str]:
    number = 0
    for child in element:
        if not isinstance(child.tag, str) or child.tag.lower() != "li":
            continue
        number += 1
        marker = f"{number}." if ordered else "-"
        body = "".join(_block(child)).strip()
        indent = " " * (len(marker) + 1)
        lines = re.sub(r"\n{3,}", "\n\n", body).split("\n")
        yield f"{marker} " + f"\n{indent}".join(lines).replace(f"\n{indent}\n", "\n\n") + "\n"
    yield "\n"


def _block(element: etree._Element) -> Iterator[str]:
    """The Markdown of a block element (its own markers, then its content)."""
    tag = element.tag.lower()
    if tag in ("ul", "ol"):
        yield from _list(element, ordered=tag == "ol")
        return
    inner = "".join(_inline(element)).strip()
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        yield "#" * int(tag[1]) + " " + _squash(inner)
    elif tag == "blockquote":
        yield "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    elif tag == "pre":
        yield "```\n" + element.text_content().strip("\n") + "\n```"
    elif tag == "hr":
        yield "---"
    else:
        yield inner


def html_to_markdown(html: str) -> str:
    """Markdown for a fragment of HTML show notes."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return escape(html)
    text = "".join(_block(root))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n(\s*\n)+", "\n\n", text)
    # A line break only means something inside a paragraph: not before or after one.
    text = re.sub(r"(\\\n\s*)+(?=\n|$)", "", text)
    text = re.sub(r"(^|\n\n)(\s*\\\n)+", r"\1", text)
    text = re.sub(r"(?<!\\)\\$", "", text.strip())
    # <b>a</b><b>b</b>: one run of bold, not `**a****b**`, which Markdown reads otherwise.
    return text.replace("****", "").strip()
