"""The show on the web: show page, archive, a page, an embed and an oEmbed response per episode,
sitemap.xml, robots.txt and a 404 page.

Pages are built from the same inputs as the feeds (the YAML and the manifest), link to
everything with relative URLs so they work from any base URL, and load nothing from
third-party hosts. Each page carries the digest of its inputs, so a run renders only the
pages whose inputs changed (siteindex.py writes them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from html import escape
from typing import Any, TypeVar

from showpipe.digests import data_digest
from showpipe.feeds import Descriptions
from showpipe.model.episode import Episode
from showpipe.model.manifest import Manifest, record_digest
from showpipe.model.project import Project
from showpipe.model.published import NewestFirst, PublishedEpisode, due_episodes
from showpipe.web import cards
from showpipe.web.cards import embed_snippet
from showpipe.web.environment import Templates
from showpipe.web.siteindex import (
    SITE_INDEX_KEY,
    Page,
    Site,
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
    "Site",
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
SITEMAP_KEY = "sitemap.xml"
ROBOTS_KEY = "robots.txt"

T = TypeVar("T")


def archive_key(number: int) -> str:
    return f"archive/{number}.html"


def _digest(*parts: object) -> str:
    return data_digest("\x1f".join(map(repr, parts)).encode())


def _episode_digests(project: Project, due: NewestFirst, show_source: str) -> list[str]:
    """Each episode's inputs with the show's, digested once, newest first: its pages, its
    archive page and the show page all depend on them."""
    # Not repr: an episode from the episode cache and one read from its YAML are equal but
    # print their time zones differently, which would re-render every page. The episode cache
    # describes each episode it loaded by what it was made from, and the manifest memo keeps
    # each record's digest, so neither is serialised again (as the feeds' item cache does).
    describe = project.cache.describe if project.cache else Episode.model_dump_json
    memo = project.manifests
    record = memo.describe_record if memo else lambda guid, record: record_digest(record)
    return [
        data_digest(
            f"{show_source}\x1f{describe(p.episode)}\x1f{record(p.guid, p.record)}".encode()
        )
        for p in due
    ]


def build_site(
    project: Project,
    manifest: Manifest,
    *,
    now: datetime,
    descriptions: Descriptions | None = None,
    due: NewestFirst | None = None,
) -> Site:
    """Every page of the site, by the digest of its inputs (each made and rendered only when
    asked for). Only episodes published and due appear, as in the feeds. `descriptions` are
    the run's, shared with its feeds (default: rendered here); `due` is what `due_episodes`
    gives for `now`, when the run has it already."""
    feeds = project.feeds
    feed = next((f for f in feeds if f.medium == "audio"), feeds[0])
    record = manifest.feeds.get(feed.name)
    artwork = record.artwork if record else None
    text = descriptions or Descriptions()
    show = Show(feed, feeds, artwork, project.settings.public_url, text)
    due = due_episodes(project, manifest, now) if due is None else due
    show_source = _digest(code_digest(), feeds, show.artwork, show.public_url)
    digests = _episode_digests(project, due, show_source)
    chunks = _chunks(due)
    ranges = [(c[-1].episode.published, c[0].episode.published, len(c)) for c in chunks]
    sources = _episode_sources(due, digests)
    sources.update(_archive_sources(_chunks(digests), ranges, show_source))
    sources[INDEX_KEY] = _digest(show_source, len(due), *digests[:INDEX_EPISODES])
    sources[NOT_FOUND_KEY] = show_source
    listed = _listed(due, len(chunks))
    sources[SITEMAP_KEY] = _digest(show.public_url, "\n".join(listed))
    sources[ROBOTS_KEY] = _digest(_robots(show.public_url))
    templates = Templates(project.settings.cache_dir)
    renderer = _Renderer(templates, show, due, chunks, ranges, listed)
    return Site(sources, renderer.render, templates.save)


def _episode_sources(due: NewestFirst, digests: list[str]) -> dict[str, str]:
    """The sources of each episode's page (which names its neighbours), its embed and its
    oEmbed response. Written out rather than with `_digest`: it runs for every episode."""
    # Each neighbour by slug and title; the title's length makes the text unambiguous (a
    # slug has no \x1f; a title may), cheaper than repr for 5,000 episodes.
    names = [f"{p.record.slug}\x1f{len(p.episode.title)}\x1f{p.episode.title}" for p in due]
    sources = {}
    newer = "None"
    olders = [*names[1:], "None"] if names else []
    for published, own, name, older in zip(due, digests, names, olders, strict=True):
        slug = published.record.slug
        sources[episode_key(slug)] = data_digest(f"{own}\x1f{newer}\x1f{older}".encode())
        sources[embed_key(slug)] = own
        sources[oembed_key(slug)] = own
        newer = name
    return sources


def _archive_sources(
    chunks: list[list[str]], ranges: list[tuple[datetime, datetime, int]], show_source: str
) -> dict[str, str]:
    """The archive's pages, from the digests of the episodes each lists (`chunks`)."""
    sources = {}
    for number, chunk in enumerate(chunks, start=1):
        last = number == len(chunks)
        sources[archive_key(number)] = _digest(show_source, number, last, *chunk)
    spans = [(a.isoformat(), b.isoformat(), n) for a, b, n in ranges]
    sources[ARCHIVE_INDEX_KEY] = _digest(show_source, spans)
    return sources


def _listed(due: NewestFirst, archive_pages: int) -> list[str]:
    """The pages the sitemap lists (https://www.sitemaps.org/protocol.html): every page meant
    for readers, so not the embeds, the oEmbed responses or the 404 page."""
    listed = [episode_key(p.record.slug) for p in due]
    listed += [archive_key(n) for n in range(1, archive_pages + 1)]
    return [*listed, ARCHIVE_INDEX_KEY, INDEX_KEY]


@dataclass(frozen=True)
class _Renderer:
    """How to render each page of the site, by its key (`Site.renderer`)."""

    templates: Templates
    show: Show
    due: NewestFirst
    chunks: list[list[PublishedEpisode]]
    ranges: list[tuple[datetime, datetime, int]]
    listed: list[str]
    # An episode's page and its embed share its view: made once, on first use.
    views: dict[str, _SharedView] = field(default_factory=dict)

    @cached_property
    def positions(self) -> dict[str, int]:
        return {published.record.slug: i for i, published in enumerate(self.due)}

    def render(self, key: str) -> Callable[[], bytes]:
        show = self.show
        folder, _, name = key.partition("/")
        if folder in ("episodes", "embed", "oembed"):
            return self._episode_render(folder, name.rpartition(".")[0])
        if folder == "archive" and key != ARCHIVE_INDEX_KEY:
            number = int(name.removesuffix(".html"))
            last = number == len(self.chunks)
            return partial(
                _archive_page, self.templates, show, number, self.chunks[number - 1], last=last
            )
        if key == ARCHIVE_INDEX_KEY:
            return partial(_archive_index, self.templates, show, self.ranges)
        if key == INDEX_KEY:
            newest = self.due[:INDEX_EPISODES]
            return partial(_show_page, self.templates, show, newest, total=len(self.due))
        if key == NOT_FOUND_KEY:
            return partial(_not_found, self.templates, show)
        if key == SITEMAP_KEY:
            return partial(_sitemap, show.public_url, sorted(self.listed))
        assert key == ROBOTS_KEY, key
        return partial(bytes, _robots(show.public_url))

    def _episode_render(self, folder: str, slug: str) -> Callable[[], bytes]:
        i = self.positions[slug]
        published = self.due[i]
        if folder == "oembed":
            return partial(_oembed, self.show, published)
        view = self.views.get(slug)
        if view is None:
            view = self.views[slug] = _SharedView(self.show, published)
        if folder == "embed":
            return partial(_embed_page, self.templates, self.show, view)
        newer = self.due[i - 1] if i > 0 else None
        older = self.due[i + 1] if i + 1 < len(self.due) else None
        return partial(_episode_page, self.templates, self.show, view, newer=newer, older=older)


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
    templates: Templates,
    show: Show,
    view: _SharedView,
    *,
    newer: PublishedEpisode | None,
    older: PublishedEpisode | None,
) -> bytes:
    published = view.published
    key = episode_key(published.record.slug)
    card = cards.link_card(published, show)
    return templates.render(
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


def _embed_page(templates: Templates, show: Show, view: _SharedView) -> bytes:
    key = embed_key(view.published.record.slug)
    template = "embed.html" if view.value["video"] else "embed-audio.html"
    return templates.render(template, show=show_view(show, key), episode=view.value)


def _oembed(show: Show, published: PublishedEpisode) -> bytes:
    return json.dumps(cards.oembed(published, show), indent=1, sort_keys=True).encode() + b"\n"


def _chunks(newest_first: Sequence[T]) -> list[list[T]]:
    """The archive's pages (of episodes, or of their digests), numbered from the oldest
    episode, so a new episode changes only the last page (and older pages keep their
    numbers and their URLs)."""
    oldest_first = newest_first[::-1]
    size = ARCHIVE_PAGE_SIZE
    return [list(oldest_first[i : i + size][::-1]) for i in range(0, len(oldest_first), size)]


def _archive_index(
    templates: Templates, show: Show, ranges: list[tuple[datetime, datetime, int]]
) -> bytes:
    return templates.render(
        "archive-index.html",
        show=show_view(show, ARCHIVE_INDEX_KEY),
        pages=[
            {"href": f"{n}.html", "number": n, "first": a, "last": b, "count": c}
            for n, (a, b, c) in enumerate(ranges, start=1)
        ][::-1],
    )


def _archive_page(
    templates: Templates, show: Show, number: int, chunk: Sequence[PublishedEpisode], *, last: bool
) -> bytes:
    key = archive_key(number)
    return templates.render(
        "archive.html",
        show=show_view(show, key),
        number=number,
        episodes=[listing_view(p, key) for p in chunk],
        newer=f"{number + 1}.html" if not last else None,
        older=f"{number - 1}.html" if number > 1 else None,
    )


def _show_page(
    templates: Templates, show: Show, newest: list[PublishedEpisode], *, total: int
) -> bytes:
    return templates.render(
        "index.html",
        show=show_view(show, INDEX_KEY),
        subscribe=subscribe_links(show),
        episodes=[episode_view(p, INDEX_KEY, show=show) for p in newest],
        total=total,
        archive=ARCHIVE_INDEX_KEY,
        json_ld={"@context": "https://schema.org", **cards.series_ld(show)},
    )


def _not_found(templates: Templates, show: Show) -> bytes:
    # Served at any missing path, so its links are absolute: relative ones would break.
    view = show_view(show, INDEX_KEY)
    view["home"] = show.public_url
    return templates.render("404.html", show=view, archive=show.public_url + ARCHIVE_INDEX_KEY)


def _robots(base: str) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {base}{SITEMAP_KEY}\n".encode()


def _sitemap(base: str, listed: list[str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    lines += [f"<url><loc>{escape(base + k, quote=False)}</loc></url>" for k in listed]
    return ("\n".join([*lines, "</urlset>"]) + "\n").encode()
