"""The show on the web: a show page and, for each video episode, an embeddable player page.

Pages are built from the same inputs as the feeds (the YAML and the manifest), link to
everything with relative URLs so they work from any base URL, and load nothing from
third-party hosts.
"""

from __future__ import annotations

import html
import json
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2

from showpipe.digests import data_digest
from showpipe.feeds import Descriptions, clean_text, feed_key
from showpipe.model.manifest import Manifest, StoredFile
from showpipe.model.project import Project
from showpipe.model.published import PublishedEpisode, due_episodes
from showpipe.model.show import Feed
from showpipe.storage import Storage, caching
from showpipe.times import clock

INDEX_KEY = "index.html"
# The show page plays the newest episodes; the feeds carry the whole archive. A page with
# thousands of players would be slow to load and, rebuilt on every cron run, slow to make.
INDEX_EPISODES = 100

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("showpipe.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


_ENV.filters["clock"] = clock


def embed_key(slug: str) -> str:
    return f"embed/{slug}.html"


def _link(target: StoredFile | str, page: str) -> str:
    """A file's URL relative to the page at `page`; a file on another host keeps its own URL."""
    if isinstance(target, StoredFile) and target.url:
        return target.url
    key = target.key if isinstance(target, StoredFile) else target
    return posixpath.relpath(key, posixpath.dirname(page) or ".")


@dataclass(frozen=True)
class Page:
    key: str
    html: bytes


def _episode_view(published: PublishedEpisode, page: str, text: Descriptions) -> dict[str, Any]:
    episode, record = published.episode, published.record
    audio, video = record.media.get("audio"), record.media.get("video")
    captions = next((t for t in record.transcripts if t.content_type == "text/vtt"), None)
    chapters = [{"start": c.start, "title": c.title, "link": c.link} for c in episode.chapters]
    return {
        "slug": record.slug,
        "title": clean_text(episode.title),
        "published": episode.published,
        "duration": main.duration if (main := audio or video) else None,
        "description_html": text.html(episode.description),
        "audio": _link(audio, page) if audio else None,
        "video": _link(video, page) if video else None,
        "embed": _link(embed_key(record.slug), page) if video else None,
        # a 16:9 poster where the episode has one; the square artwork otherwise
        "poster": _link(poster, page) if (poster := record.poster or record.artwork) else None,
        "captions": _link(captions, page) if captions else None,
        "chapters": chapters,
    }


def build_site(
    project: Project,
    manifest: Manifest,
    *,
    now: datetime,
    descriptions: Descriptions | None = None,
) -> list[Page]:
    """Render the show page and one embed page per published video episode.

    Only episodes that are published and due appear, as in the feeds. `descriptions` are
    the run's, shared with its feeds (default: rendered here).
    """
    text = descriptions or Descriptions()
    feeds = project.feeds
    show = next((f for f in feeds if f.medium == "audio"), feeds[0])
    due = due_episodes(project, manifest, now)
    show_artwork = manifest.feeds[show.name].artwork.key if show.name in manifest.feeds else None
    common = {"language": show.language, "show": _show_view(show, show_artwork, INDEX_KEY)}
    pages = [
        Page(
            INDEX_KEY,
            _render(
                "index.html",
                **common,
                feeds=[{"title": f.title, "href": _link(feed_key(f), INDEX_KEY)} for f in feeds],
                episodes=[_episode_view(p, INDEX_KEY, text) for p in due[:INDEX_EPISODES]],
                earlier=max(0, len(due) - INDEX_EPISODES),
            ),
        )
    ]
    for published in due:
        if "video" in published.record.media:
            key = embed_key(published.record.slug)
            view = _episode_view(published, key, text)
            pages.append(Page(key, _render("embed.html", **common, episode=view)))
    return pages


def _show_view(show: Feed, artwork_key: str | None, page: str) -> dict[str, Any]:
    return {
        "title": clean_text(show.title),
        "description": clean_text(show.description),
        "artwork": _link(artwork_key, page) if artwork_key else "",
    }


def _render(template: str, **values: Any) -> bytes:
    return _ENV.get_template(template).render(**values).encode("utf-8")


# Pages change whenever an episode does, so they are cached briefly, like the feeds.


# The hash of every page written, so finding what changed is one read however big the show.
SITE_INDEX_KEY = "showpipe/site.json"


def _digest(page: Page) -> str:
    return data_digest(page.html)


def _stored_digests(storage: Storage) -> dict[str, str]:
    data = storage.get(SITE_INDEX_KEY)
    try:
        stored = json.loads(data) if data else {}
    except ValueError:
        return {}  # damaged: every page is written again, which repairs it
    return stored if isinstance(stored, dict) else {}


def changed_pages(storage: Storage, pages: Sequence[Page]) -> list[Page]:
    """The pages whose bytes differ from the ones last written, or that pages went away."""
    return _changes(storage, pages)[0]


def _changes(storage: Storage, pages: Sequence[Page]) -> tuple[list[Page], dict[str, str]]:
    """The changed pages (as `changed_pages`), and the digest of every page."""
    digests = {page.key: _digest(page) for page in pages}
    stored = _stored_digests(storage)
    changed = [page for page in pages if stored.get(page.key) != digests[page.key]]
    gone = set(stored) - set(digests)
    return changed + [Page(key, b"") for key in sorted(gone)], digests


def write_site(storage: Storage, pages: Sequence[Page]) -> list[str]:
    """Store the pages whose bytes changed, delete pages no episode has now; return the keys."""
    changed, digests = _changes(storage, pages)
    for page in changed:
        if not page.html:
            storage.delete(page.key)  # an embed page of an episode taken down
            continue
        storage.put_bytes(
            page.key,
            page.html,
            content_type="text/html; charset=utf-8",
            cache_control=caching.CHANGING,
        )
    if changed:
        storage.put_bytes(
            SITE_INDEX_KEY,
            json.dumps(digests, sort_keys=True).encode(),
            content_type="application/json",
            cache_control=caching.RECORD,
        )
    return [page.key for page in changed]


def embed_snippet(public_url: str, slug: str, title: str) -> str:
    """The iframe to paste into a website for an episode's video."""
    src = public_url + embed_key(slug)
    return (
        f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" width="640" '
        'height="480" style="border:0;max-width:100%" allow="fullscreen; picture-in-picture" '
        'loading="lazy"></iframe>'
    )
