"""Clean text, HTML and URLs for feeds: what XML 1.0 and podcast apps accept."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# What XML 1.0 §2.2's Char production leaves out of Unicode: C0 controls but tab, line feed and
# carriage return; surrogates; U+FFFE and U+FFFF. Written as what is left out, not as "not a
# Char": the same characters (checked against every code point), and compiled in a tenth of
# the time (0.6 ms against 5-8 ms, at every run's import).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Apple renders these in descriptions (docs/feed-rules.md, "Items"). One cleaner for the
# process: nh3 then turns its settings into the sanitiser's once, not for every description.
_SANITISER = nh3.Cleaner(
    tags={"p", "ol", "ul", "li", "a", "strong", "em", "b", "i", "br", "code", "blockquote"},
    attributes={"a": {"href"}},
)
# RFC 3986 reserved and unreserved characters, plus '%' so existing escapes are kept.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry."""
    if text.isascii() and text.isprintable():  # most texts: nothing to remove, found faster
        return text
    return _XML_FORBIDDEN.sub("", text)


# What turns text into markup in a reader that renders <description> as HTML: a tag's
# opening bracket, and an ampersand that starts a character reference.
_MARKUP = re.compile(r"<|&(?=#?[A-Za-z0-9]+;)")


def plain_text_html(text: str) -> str:
    """Plain text for an element readers render as HTML (RSS <description>): `<` and
    character references escaped, so `<img onerror=…>` shows as those very characters.

    RSS 2.0 lets <description> hold entity-encoded HTML, so apps decode it once and render
    it; escaped only by XML, a plain-text `<img>` would reach them as a tag. A lone `&` or
    `>` cannot start markup and is left alone, so readers that show the text raw see it as
    written (https://www.rssboard.org/rss-profile#data-types-characterdata).
    """
    return _MARKUP.sub(lambda m: "&lt;" if m.group() == "<" else "&amp;", clean_text(text))


@functools.cache
def _markdown() -> MarkdownIt:
    # Made on first use: most runs render no Markdown (the caches hold every description
    # rendered), and importing markdown-it-py takes about 40 ms.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_html(markdown: str) -> str:
    """Render a Markdown description to sanitised HTML (nh3, a maintained sanitiser)."""
    html = _markdown().render(clean_text(markdown))
    return _SANITISER.clean(html).strip()


class Descriptions:
    """Descriptions rendered to HTML once per run: the feeds and the show's pages share them."""

    def __init__(self) -> None:
        self._html: dict[str, str] = {}

    def html(self, markdown: str) -> str:
        """The description's sanitised HTML (`render_html`), rendered at most once."""
        html = self._html.get(markdown)
        if html is None:
            html = self._html[markdown] = render_html(markdown)
        return html

    def keep(self, markdown: str, html: str) -> None:
        """Keep a description rendered elsewhere (`render_html` in a worker process)."""
        self._html[markdown] = html


def clean_url(url: str) -> str:
    """An absolute URL as apps need it: ASCII only, IDNA host, everything else percent-encoded.

    Raises:
        ValueError: `url` is not absolute (no scheme or host).
    """
    parts = urlsplit(clean_text(url).strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"'{url}' is not an absolute URL")
    host = parts.hostname or ""
    netloc = parts.netloc
    if not host.isascii():
        netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        )
    )
