"""Writing the site incrementally: only pages whose inputs or bytes changed are rendered and
stored, and only pages showpipe wrote are ever deleted.

The site index (`showpipe/site.json`) records, per page key, the digest of what the page is
made from (`source`) and of its bytes (`digest`). A page whose source is unchanged is not
rendered at all, which is what lets an unchanged 5,000-episode show finish in well under a
second. The index is read as a hint, never as an instruction: a key in it that does not
look like a page showpipe writes is reported and left alone (issue: a tampered index must
not be able to delete the manifest, a feed or the media).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

from showpipe import __version__, parallel
from showpipe.digests import data_digest
from showpipe.storage import Storage, caching

log = logging.getLogger(__name__)

# The hash of every page written, so finding what changed is one read however big the show.
SITE_INDEX_KEY = "showpipe/site.json"
SITE_INDEX_VERSION = 2

# Every key the site step writes; the only keys it may delete.
PAGE_KEY = re.compile(
    r"(index\.html|404\.html|robots\.txt|sitemap\.xml"
    r"|(episodes|embed|archive)/[A-Za-z0-9][A-Za-z0-9_.-]{0,199}\.html"
    r"|oembed/[A-Za-z0-9][A-Za-z0-9_.-]{0,199}\.json)"
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Page:
    """A page of the site: its key, the digest of its inputs, and how to render it.

    `html` (the bytes, whatever the type) is rendered on first use only, so pages whose
    inputs did not change cost a digest, not a render.
    """

    key: str
    source: str
    render: Callable[[], bytes] = field(compare=False, repr=False)

    @cached_property
    def html(self) -> bytes:
        return self.render()

    @property
    def rendered(self) -> bool:
        return "html" in self.__dict__  # where cached_property keeps what it computed

    def keep(self, html: bytes) -> None:
        """Take `html`, rendered elsewhere (another process), as the page's bytes."""
        self.__dict__["html"] = html


def render_pages(pages: Sequence[Page], *, parallel_from: int = parallel.PARALLEL_FROM) -> None:
    """Render the pages not rendered yet, on every core when there are many (parallel.py)."""
    todo = [page for page in pages if not page.rendered]
    rendered = parallel.render_each([p.render for p in todo], parallel_from=parallel_from)
    for page, html in zip(todo, rendered, strict=True):
        page.keep(html)


def code_digest() -> str:
    """The digest of showpipe's version and its page code and templates: a new showpipe
    renders every page again."""
    package = resources.files("showpipe.web")
    parts = [__version__.encode()]
    for name in ("site.py", "views.py", "cards.py", "transcript.py"):
        parts.append(package.joinpath(name).read_bytes())
    for item in sorted(package.joinpath("templates").iterdir(), key=lambda i: i.name):
        parts.append(item.read_bytes())
    return data_digest(b"\0".join(parts))


def is_page_key(key: str) -> bool:
    return PAGE_KEY.fullmatch(key) is not None and ".." not in key


@dataclass(frozen=True)
class _Entry:
    source: str
    digest: str


def _read_index(storage: Storage) -> dict[str, Any]:
    data = storage.get(SITE_INDEX_KEY)
    try:
        stored = json.loads(data) if data else {}
    except ValueError:
        stored = {}  # damaged: every page is written again, which repairs it
    return stored if isinstance(stored, dict) else {}


def _listed(stored: dict[str, Any]) -> dict[str, Any]:
    """The page entries of a read index (version 1 was the bare {key: digest} mapping)."""
    pages = stored.get("pages") if "version" in stored else stored
    return pages if isinstance(pages, dict) else {}


def _inputs(stored: dict[str, Any]) -> dict[str, Any]:
    inputs = stored.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def stored_inputs(storage: Storage) -> dict[str, Any]:
    """What the last `showpipe site` recorded of its inputs (see refresh.py); {} if none."""
    return _inputs(_read_index(storage))


def _entries(stored: dict[str, Any]) -> dict[str, _Entry]:
    """The index's page entries; entries that are not page keys are reported and dropped."""
    entries = {}
    for key, value in _listed(stored).items():
        if not is_page_key(str(key)):
            log.warning(
                "Warning: %s lists %r, which is not a page showpipe writes; "
                "left alone (the index is damaged or was edited)",
                SITE_INDEX_KEY,
                key,
            )
            continue
        if isinstance(value, dict):
            entries[key] = _Entry(str(value.get("source", "")), str(value.get("digest", "")))
        else:  # version 1: {key: digest}, no sources: every page is rendered once again
            entries[key] = _Entry("", str(value))
    return entries


def damaged_entries(storage: Storage) -> list[str]:
    """The keys the stored site index lists that are not pages showpipe writes."""
    return sorted(str(k) for k in _listed(_read_index(storage)) if not is_page_key(str(k)))


def _compared(
    stored: dict[str, _Entry], pages: Sequence[Page]
) -> Iterator[tuple[Page, _Entry, bool]]:
    """Each page with its new index entry, and whether its bytes must be stored. Only pages
    whose source changed are rendered, in order, as they are reached (on every core when
    there are many: parallel.py), so their writes overlap the rendering of the rest."""
    changed = [p for p in pages if not p.rendered and _source_changed(p, stored)]
    fresh = parallel.render_each([p.render for p in changed])
    for page in pages:
        before = stored.get(page.key)
        if before is not None and before.source == page.source:
            yield page, before, False
            continue
        if not page.rendered:
            page.keep(next(fresh))
        entry = _Entry(page.source, data_digest(page.html))
        yield page, entry, before is None or before.digest != entry.digest


def _source_changed(page: Page, stored: dict[str, _Entry]) -> bool:
    before = stored.get(page.key)
    return before is None or before.source != page.source


def pages_change(storage: Storage, pages: Sequence[Page]) -> bool:
    """Whether writing the pages would change any stored page, before the lock: a page new or
    gone says so without rendering anything; else the pages whose source changed are
    rendered (on every core when many) and compared with their stored digests."""
    stored = _entries(_read_index(storage))
    if stored.keys() != {page.key for page in pages}:
        return True
    changed = [page for page in pages if _source_changed(page, stored)]
    render_pages(changed)
    return any(data_digest(page.html) != stored[page.key].digest for page in changed)


def changed_pages(storage: Storage, pages: Sequence[Page]) -> list[Page]:
    """The pages whose bytes differ from the ones last written, or that went away."""
    stored = _entries(_read_index(storage))
    put = [page for page, _, store in _compared(stored, pages) if store]
    gone = sorted(set(stored) - {page.key for page in pages})
    return put + [Page(key, "", bytes) for key in gone]


def record_inputs(storage: Storage, inputs: Mapping[str, Any]) -> None:
    """Store `inputs` in the site index (refresh.py), unless it holds them already: for a run
    that wrote no page (one that did stores them with its pages, `write_site`)."""
    raw = _read_index(storage)
    if _inputs(raw) != dict(inputs) and raw.get("version") == SITE_INDEX_VERSION:
        _store_index(storage, {**raw, "inputs": dict(inputs)})


def _store_index(storage: Storage, index: dict[str, Any]) -> None:
    storage.put_bytes(
        SITE_INDEX_KEY,
        json.dumps(index, sort_keys=True).encode(),
        content_type="application/json",
        cache_control=caching.RECORD,
    )


def write_site(
    storage: Storage, pages: Sequence[Page], *, inputs: Mapping[str, Any] | None = None
) -> list[str]:
    """Store the pages whose bytes changed, delete pages no episode has now; return the keys.

    `inputs` (what `showpipe site` was made from, refresh.py) are recorded in the same write
    of the index as the pages; without them the recorded ones are kept. That is safe: they
    name the inputs the pages were last made from in full, and pages written now for other
    inputs (another manifest) do not match them.
    """
    raw = _read_index(storage)
    stored = _entries(raw)
    index: dict[str, _Entry] = {}
    written = []
    for page, entry, store in _compared(stored, pages):
        index[page.key] = entry
        if store:
            suffix = page.key[page.key.rfind(".") :]
            storage.put_bytes(
                page.key, page.html, content_type=_TYPES[suffix], cache_control=caching.CHANGING
            )
            written.append(page.key)
    gone = sorted(set(stored) - set(index))
    for key in gone:
        storage.delete(key)  # the pages of an episode taken down
    kept = _inputs(raw)
    recorded = kept if inputs is None else dict(inputs)
    if index != stored or recorded != kept:
        pages_json = {k: {"source": e.source, "digest": e.digest} for k, e in index.items()}
        _store_index(
            storage, {"version": SITE_INDEX_VERSION, "inputs": recorded, "pages": pages_json}
        )
    return written + gone
