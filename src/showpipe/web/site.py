"""The show on the web: show page, archive, a page, an embed and an oEmbed response per episode,
sitemap.xml, robots.txt and a 404 page.

Pages are built from the same inputs as the feeds (the YAML and the manifest), link to
everything with relative URLs so they work from any base URL, and load nothing from
third-party hosts. Each page carries the digest of its inputs, so a run renders only the
pages whose inputs changed (siteindex.py writes them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial
from html import escape
from typing import Any

import jinja2

from showpipe.digests import data_digest
from showpipe.feeds import Descriptions
from showpipe.model.manifest import Manifest
from showpipe.model.project import Project
from showpipe.model.published import NewestFirst, PublishedEpisode, due_episodes
from showpipe.model.show import Episode
from showpipe.times import clock
from showpipe.web import cards
from showpipe.web.cards import embed_snippet
from showpipe.web.siteindex import (
    SITE_INDEX_KEY,
    Page,
    changed_pages,
    code_digest,
    damaged_entries,
    pages_change,
    write_site,
)
from showpipe.web.views import (
    INDEX_KEY,
    Show,
    embed_key,
    episode_key,
    episode_view,
    link,
    listing_view,
    oembed_key,
    show_view,
    subscribe_links,
    transcript_view,
)

__all__ = [
    "INDEX_KEY",
    "SITE_INDEX_KEY",
    "Page",
    "build_site",
    "changed_pages",
    "damaged_entries",
    "embed_key",
    "embed_snippet",
    "episode_key",
    "pages_change",
    "write_site",
]

# The show page plays the newest episodes; the archive lists every one, a page per 50.
INDEX_EPISODES = 10
ARCHIVE_PAGE_SIZE = 50
ARCHIVE_INDEX_KEY = "archive/index.html"
NOT_FOUND_KEY = "404.html"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("showpipe.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # The templates ship with showpipe and never change during a run: without this, every
    # page rendered stats each template it uses to see whether to reload it.
    auto_reload=False,
)


_ENV.filters["clock"] = clock
_ENV.filters["script_json"] = cards.script_json


def archive_key(number: int) -> str:
    return f"archive/{number}.html"


def _render(template: str, **values: Any) -> bytes:
    return _ENV.get_template(template).render(**values).encode("utf-8")


def _digest(*parts: object) -> str:
    return data_digest("\x1f".join(map(repr, parts)).encode())


def _episode_digests(project: Project, due: NewestFirst) -> dict[str, str]:
    """Each episode's inputs digested once, by GUID: its pages, its archive page and the
    show page all depend on them."""
    # Not repr: an episode from the episode cache and one read from its YAML are equal but
    # print their time zones differently, which would re-render every page. The episode cache
    # describes each episode it loaded by what it was made from, without serialising it.
    describe = project.cache.describe if project.cache else Episode.model_dump_json
    return {p.guid: _digest(describe(p.episode), p.record) for p in due}


def build_site(
    project: Project,
    manifest: Manifest,
    *,
    now: datetime,
    descriptions: Descriptions | None = None,
) -> list[Page]:
    """Every page of the site (rendered lazily). Only episodes published and due appear, as
    in the feeds. `descriptions` are the run's, shared with its feeds (default: rendered
    here)."""
    feeds = project.feeds
    feed = next((f for f in feeds if f.medium == "audio"), feeds[0])
    record = manifest.feeds.get(feed.name)
    artwork = record.artwork if record else None
    text = descriptions or Descriptions()
    show = Show(feed, feeds, artwork, project.settings.public_url, text)
    due = due_episodes(project, manifest, now)
    show_source = _digest(code_digest(), feeds, show.artwork, show.public_url)
    digests = _episode_digests(project, due)
    pages = _episode_pages(show, due, show_source, digests)
    pages += _archive_pages(show, due, show_source, digests)
    pages.append(_index_page(show, due, show_source, digests))
    pages.append(_not_found_page(show, show_source))
    pages += _crawler_pages(show, [p.key for p in pages if p.key.endswith(".html")])
    return pages


def _episode_pages(
    show: Show, due: NewestFirst, show_source: str, digests: dict[str, str]
) -> list[Page]:
    """An episode's page (with its neighbours), its embed and its oEmbed response."""
    pages = []
    for i, published in enumerate(due):
        slug = published.record.slug
        newer = due[i - 1] if i > 0 else None
        older = due[i + 1] if i + 1 < len(due) else None
        own = _digest(show_source, digests[published.guid])
        neighbours = [(n.record.slug, n.episode.title) if n else None for n in (newer, older)]
        view = _SharedView(show, published)
        pages += [
            Page(
                episode_key(slug),
                _digest(own, neighbours),
                partial(_episode_page, show, view, newer=newer, older=older),
            ),
            Page(embed_key(slug), own, partial(_embed_page, show, view)),
            Page(oembed_key(slug), own, partial(_oembed, show, published)),
        ]
    return pages


@dataclass(frozen=True)
class _SharedView:
    """An episode's view, made at most once for its page and its embed: both lie one folder
    deep, so their relative links are the same."""

    show: Show
    published: PublishedEpisode

    @cached_property
    def value(self) -> dict[str, Any]:
        key = episode_key(self.published.record.slug)
        return episode_view(self.published, key, show=self.show)


def _episode_page(
    show: Show,
    view: _SharedView,
    *,
    newer: PublishedEpisode | None,
    older: PublishedEpisode | None,
) -> bytes:
    published = view.published
    key = episode_key(published.record.slug)
    card = cards.link_card(published, show)
    return _render(
        "episode.html",
        show=show_view(show, key),
        # only the episode's own page shows the transcript: read it for that page alone
        episode={**view.value, "transcript": transcript_view(published, key)},
        card=card,
        json_ld=cards.json_ld(published, show),
        newer=listing_view(newer, key) if newer else None,
        older=listing_view(older, key) if older else None,
        archive=link(ARCHIVE_INDEX_KEY, key),
    )


def _embed_page(show: Show, view: _SharedView) -> bytes:
    key = embed_key(view.published.record.slug)
    template = "embed.html" if view.value["video"] else "embed-audio.html"
    return _render(template, show=show_view(show, key), episode=view.value)


def _oembed(show: Show, published: PublishedEpisode) -> bytes:
    return json.dumps(cards.oembed(published, show), indent=1, sort_keys=True).encode() + b"\n"


def _chunks(due: NewestFirst) -> list[list[PublishedEpisode]]:
    """The archive's pages, numbered from the oldest episode, so a new episode changes only
    the last page (and older pages keep their numbers and their URLs)."""
    oldest_first = due[::-1]
    size = ARCHIVE_PAGE_SIZE
    return [oldest_first[i : i + size][::-1] for i in range(0, len(oldest_first), size)]


def _archive_pages(
    show: Show, due: NewestFirst, show_source: str, digests: dict[str, str]
) -> list[Page]:
    chunks = _chunks(due)
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        last = number == len(chunks)
        source = _digest(show_source, number, last, *(digests[p.guid] for p in chunk))
        pages.append(
            Page(
                archive_key(number), source, partial(_archive_page, show, number, chunk, last=last)
            )
        )
    ranges = [(c[-1].episode.published, c[0].episode.published, len(c)) for c in chunks]
    source = _digest(show_source, [(a.isoformat(), b.isoformat(), n) for a, b, n in ranges])
    pages.append(Page(ARCHIVE_INDEX_KEY, source, partial(_archive_index, show, ranges)))
    return pages


def _archive_index(show: Show, ranges: list[tuple[datetime, datetime, int]]) -> bytes:
    return _render(
        "archive-index.html",
        show=show_view(show, ARCHIVE_INDEX_KEY),
        pages=[
            {"href": f"{n}.html", "number": n, "first": a, "last": b, "count": c}
            for n, (a, b, c) in enumerate(ranges, start=1)
        ][::-1],
    )


def _archive_page(
    show: Show, number: int, chunk: Sequence[PublishedEpisode], *, last: bool
) -> bytes:
    key = archive_key(number)
    return _render(
        "archive.html",
        show=show_view(show, key),
        number=number,
        episodes=[listing_view(p, key) for p in chunk],
        newer=f"{number + 1}.html" if not last else None,
        older=f"{number - 1}.html" if number > 1 else None,
    )


def _index_page(show: Show, due: NewestFirst, show_source: str, digests: dict[str, str]) -> Page:
    newest = due[:INDEX_EPISODES]
    source = _digest(show_source, len(due), *(digests[p.guid] for p in newest))
    return Page(INDEX_KEY, source, partial(_show_page, show, newest, total=len(due)))


def _show_page(show: Show, newest: list[PublishedEpisode], *, total: int) -> bytes:
    return _render(
        "index.html",
        show=show_view(show, INDEX_KEY),
        subscribe=subscribe_links(show),
        episodes=[episode_view(p, INDEX_KEY, show=show) for p in newest],
        total=total,
        archive=ARCHIVE_INDEX_KEY,
        json_ld={"@context": "https://schema.org", **cards.series_ld(show)},
    )


def _not_found_page(show: Show, show_source: str) -> Page:
    return Page(NOT_FOUND_KEY, show_source, partial(_not_found, show))


def _not_found(show: Show) -> bytes:
    # Served at any missing path, so its links are absolute: relative ones would break.
    view = show_view(show, INDEX_KEY)
    view["home"] = show.public_url
    return _render("404.html", show=view, archive=show.public_url + ARCHIVE_INDEX_KEY)


def _crawler_pages(show: Show, keys: Sequence[str]) -> list[Page]:
    """sitemap.xml (https://www.sitemaps.org/protocol.html): every page meant for readers,
    and robots.txt pointing at it. Sitemaps need absolute URLs."""
    listed = sorted(k for k in keys if not k.startswith("embed/") and k != NOT_FOUND_KEY)
    base = show.public_url
    robots = f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n".encode()
    return [
        Page("sitemap.xml", _digest(base, listed), partial(_sitemap, base, listed)),
        Page("robots.txt", _digest(robots), partial(bytes, robots)),
    ]


def _sitemap(base: str, listed: list[str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    lines += [f"<url><loc>{escape(base + k, quote=False)}</loc></url>" for k in listed]
    return ("\n".join([*lines, "</urlset>"]) + "\n").encode()
