"""Clean text, HTML and URLs for feeds: what XML 1.0 and podcast apps accept."""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import quote, urlsplit, urlunsplit

import nh3
from markdown_it import MarkdownIt

# XML 1.0 §2.2 Char production: everything else must go.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
# Apple renders these in descriptions (docs/feed-rules.md, "Items").
_ALLOWED_HTML = {"p", "ol", "ul", "li", "a", "strong", "em", "b", "i", "br", "code", "blockquote"}
# RFC 3986 reserved and unreserved characters, plus '%' so existing escapes are kept.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry."""
    return _XML_FORBIDDEN.sub("", text)


# From this many descriptions not rendered yet, they are rendered on every core at once.
PARALLEL_RENDER_FROM = 1000


def render_html(markdown: str) -> str:
    """Render a Markdown description to sanitised HTML (nh3, a maintained sanitiser)."""
    html = _MARKDOWN.render(clean_text(markdown))
    return nh3.clean(html, tags=_ALLOWED_HTML, attributes={"a": {"href"}}).strip()


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

    def render_all(self, markdowns: Iterable[str]) -> None:
        """Render many descriptions ahead of building the feeds.

        Rendering Markdown is most of a big show's build, and each description stands alone,
        so thousands of them are rendered in worker processes, one per core. The workers come
        from a fork server: a run that holds a lease has a renewal thread, which a fork would
        copy mid-step.
        """
        todo = list(dict.fromkeys(m for m in markdowns if m not in self._html))
        cores = os.cpu_count() or 1
        if len(todo) < PARALLEL_RENDER_FROM or cores < 2:
            for markdown in todo:
                self.html(markdown)
            return
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(cores, mp_context=context) as pool:
            chunk = len(todo) // (cores * 4) + 1
            rendered = pool.map(render_html, todo, chunksize=chunk)
            self._html.update(zip(todo, rendered, strict=True))


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
