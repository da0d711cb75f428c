"""Writing the site incrementally: only pages whose inputs or bytes changed are rendered and
stored, and only pages showpipe wrote are ever deleted.

The site index (`showpipe/site.json`) records, per page key, the digest of what the page is
made from (its source) and of its bytes, as one `"<source> <digest>"` string: 15,000 of them
parse and serialise about three times faster than as objects. A page whose source is unchanged
is not even made (`Site`), let alone rendered, which is what lets a run that changes one
episode of a 5,000-episode show spend a few hundredths of a second on its pages.

The index is read as a hint, never as an instruction: a key in it that does not look like a
page showpipe writes is reported and left alone (issue: a tampered index must not be able to
delete the manifest, a feed or the media).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from showpipe import __version__, parallel
from showpipe.digests import data_digest
from showpipe.sealed import read_sealed, write_sealed
from showpipe.storage import Storage, caching

log = logging.getLogger(__name__)

# The hash of every page written, so finding what changed is one read however big the show.
SITE_INDEX_KEY = "showpipe/site.json"
# 3: each entry one "<source> <digest>" string; 2: {"source": ..., "digest": ...}; 1: the
# bare {key: digest}. Older ones are read, and rewritten as 3 by the next run that writes.
SITE_INDEX_VERSION = 3

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


@dataclass(frozen=True)
class Site:
    """Every page of the site: the digest of each page's inputs by key, in the order the pages
    are written, and `renderer(key)`, how to render one.

    A `Page` is made only when asked for (and once), so a run that finds six pages changed
    makes six, not 15,000. Iterating gives every page, for a build from scratch.
    """

    sources: dict[str, str]
    renderer: Callable[[str], Callable[[], bytes]] = field(compare=False, repr=False)
    # Called once the pages asked for are rendered: keeps what rendering them compiled.
    done_rendering: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)
    _made: dict[str, Page] = field(default_factory=dict, compare=False, repr=False)

    def page(self, key: str) -> Page:
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = Page(key, self.sources[key], self.renderer(key))
        return made

    def __iter__(self) -> Iterator[Page]:
        return (self.page(key) for key in self.sources)

    def __len__(self) -> int:
        return len(self.sources)


def code_digest() -> str:
    """The digest of showpipe's version and its page code and templates: a new showpipe
    renders every page again."""
    package = resources.files("showpipe.web")
    parts = [__version__.encode()]
    for name in ("site.py", "environment.py", "views.py", "cards.py", "transcript.py"):
        parts.append(package.joinpath(name).read_bytes())
    for item in sorted(package.joinpath("templates").iterdir(), key=lambda i: i.name):
        parts.append(item.read_bytes())
    return data_digest(b"\0".join(parts))


def is_page_key(key: str) -> bool:
    return PAGE_KEY.fullmatch(key) is not None and ".." not in key


# Where `IndexMemo` keeps the index it last read or wrote, in the project's cache folder.
INDEX_MEMO_FILE = "site-index.sealed"
_MEMO_KEY = "site-index-memo-2"  # (version, the bytes as stored, the inputs they record)


class IndexMemo:
    """The stored site index as this machine last read or wrote it, by its version token in
    the storage (`Storage.version`: the digest of its bytes in a folder, the ETag in S3).

    A run that writes pages reads the index, and `showpipe site`'s no-change check reads
    what it recorded. On a 5,000-episode show the index is 1.4 MB: in S3 each reading was a
    download of it. With the memo it is a HEAD request, and the index is downloaded only
    when another run or a person stored it since. The bytes are kept as stored (pickling
    them is a copy, where pickling the parsed index took longer than parsing it), with the
    inputs the index records apart, for the no-change check, which then parses nothing. One
    sealed file (`showpipe.sealed`), safe to delete: the index is then read again.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Keep the index in `path` for the next run (None: for this run only)."""
        self.path = path
        self._parsed: tuple[str, dict[str, Any]] | None = None  # parsed once per version

    @classmethod
    def of(cls, cache_dir: Path) -> IndexMemo:
        return cls(cache_dir / INDEX_MEMO_FILE)

    def read(self, storage: Storage) -> tuple[dict[str, Any], str | None]:
        """The index stored in `storage` and its version (None: there is none)."""
        return self._read_at(storage, storage.version(SITE_INDEX_KEY))

    def inputs(self, storage: Storage) -> dict[str, Any]:
        """What the stored index records of `showpipe site`'s inputs (`stored_inputs`)."""
        version = storage.version(SITE_INDEX_KEY)
        kept = self._kept(version) if version is not None else None
        return kept[1] if kept is not None else _inputs(self._read_at(storage, version)[0])

    def stored(self, raw: dict[str, Any], data: bytes, version: str) -> None:
        """Remember `raw`, serialised as `data`, as the index now stored at `version`."""
        self._parsed = (version, raw)
        self._keep(version, data, raw)

    def _read_at(self, storage: Storage, version: str | None) -> tuple[dict[str, Any], str | None]:
        if version is None:
            return {}, None
        if self._parsed is not None and self._parsed[0] == version:
            return self._parsed[1], version  # read already by this run (before the lock)
        kept = self._kept(version)
        if kept is not None:
            raw = _parsed(kept[0])
        else:
            found = storage.get_versioned(SITE_INDEX_KEY)
            if found is None:
                return {}, None
            data, version = found
            raw = _parsed(data)
            self._keep(version, data, raw)
        self._parsed = (version, raw)
        return raw, version

    @cached_property
    def _on_disk(self) -> Any:
        """What the memo's file holds, read (and its seal checked) once per run."""
        return read_sealed(self.path, _MEMO_KEY) if self.path is not None else None

    def _kept(self, version: str) -> tuple[bytes, dict[str, Any]] | None:
        """The index's bytes and recorded inputs, if kept at `version`."""
        kept = self._on_disk
        if isinstance(kept, tuple) and len(kept) == 3 and kept[0] == version:
            return kept[1], kept[2]
        return None

    def _keep(self, version: str, data: bytes, raw: dict[str, Any]) -> None:
        kept = self.__dict__["_on_disk"] = (version, data, _inputs(raw))
        if self.path is not None:
            write_sealed(self.path, _MEMO_KEY, kept)


def _read_index(storage: Storage, memo: IndexMemo | None) -> tuple[dict[str, Any], str | None]:
    """The stored index and its version, for a conditional write (`_store_index`); by
    `memo` when given, else read for this call only."""
    return (memo or IndexMemo()).read(storage)


def _parsed(data: bytes | None) -> dict[str, Any]:
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


def stored_inputs(storage: Storage, *, memo: IndexMemo | None = None) -> dict[str, Any]:
    """What the last `showpipe site` recorded of its inputs (see refresh.py); {} if none."""
    return (memo or IndexMemo()).inputs(storage)


def _entries(stored: dict[str, Any]) -> dict[str, Any]:
    """The index's entries, `"<source> <digest>"` by page key, as the index holds them: an
    entry that is not such a string counts as absent where it is read (`_stale`), and a
    key that is not a page's is dropped when the index is next written (`_gone`). Checking
    them when used, not all 15,000 on every read, is what keeps a run that changes a few
    pages cheap."""
    listed = _listed(stored)
    version = stored.get("version")
    if version == SITE_INDEX_VERSION:
        return listed
    if version == 2:  # {key: {"source": ..., "digest": ...}}
        return {k: _v2_entry(v) for k, v in listed.items()}
    # version 1: {key: digest}, no sources: every page is rendered once again
    return {k: f" {v}" for k, v in listed.items()}


def _v2_entry(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    return f"{value.get('source', '')} {value.get('digest', '')}"


def _stored_digest(entry: Any) -> str | None:
    return entry.rpartition(" ")[2] if isinstance(entry, str) else None


def damaged_entries(storage: Storage) -> list[str]:
    """The keys the stored site index lists that are not pages showpipe writes."""
    raw = _read_index(storage, None)[0]
    return sorted(str(k) for k in _listed(raw) if not is_page_key(str(k)))


def _stale(stored: dict[str, Any], site: Site) -> list[Page]:
    """The pages whose sources changed since the index was written, or that it lacks or
    holds damaged (an entry that is not a `"<source> <digest>"` string)."""
    return [site.page(key) for key in _stale_keys(stored, site)]


def _stale_keys(stored: dict[str, Any], site: Site) -> Iterator[str]:
    # Written out, without a call per page: it runs for each of 15,000 pages.
    return (
        key
        for key, source in site.sources.items()
        if not (isinstance(entry := stored.get(key), str) and entry.startswith(source + " "))
    )


def _gone(extra: set[str]) -> list[str]:
    """Of the keys the index lists that the site does not have, the pages (of an episode
    taken down). Keys that are not pages showpipe writes are reported and left alone."""
    gone = []
    for key in sorted(extra):
        if is_page_key(str(key)):
            gone.append(key)
            continue
        log.warning(
            "Warning: %s lists %r, which is not a page showpipe writes; "
            "left alone (the index is damaged or was edited)",
            SITE_INDEX_KEY,
            key,
        )
    return gone


def _compared(
    stored: dict[str, Any], stale: Sequence[Page], site: Site
) -> Iterator[tuple[Page, str, bool]]:
    """Each stale page of `site` with its new index entry, and whether its bytes must be
    stored. They are rendered in order, as they are reached (on every core when there are
    many: parallel.py), so their writes overlap the rendering of the rest; once the last is,
    the site keeps what rendering compiled (`Site.done_rendering`)."""
    fresh = parallel.render_each([p.render for p in stale if not p.rendered])
    for page in stale:
        if not page.rendered:
            page.keep(next(fresh))
        digest = data_digest(page.html)
        yield page, f"{page.source} {digest}", _stored_digest(stored.get(page.key)) != digest
    site.done_rendering()


def pages_change(storage: Storage, site: Site, *, memo: IndexMemo | None = None) -> bool:
    """Whether writing the pages would change the storage, before the lock, rendering
    nothing: a page new or gone, a page whose sources changed (its index entry changes,
    whether or not its bytes do), or an index of another version (it is upgraded). An
    index whose entries stayed behind would have every later run make those pages again."""
    raw = _read_index(storage, memo)[0]
    stored = _entries(raw)
    if stored.keys() != site.sources.keys() or raw.get("version") != SITE_INDEX_VERSION:
        return True
    return next(_stale_keys(stored, site), None) is not None


def changed_pages(storage: Storage, site: Site, *, memo: IndexMemo | None = None) -> list[Page]:
    """The pages whose bytes differ from the ones last written, or that went away."""
    stored = _entries(_read_index(storage, memo)[0])
    put = [page for page, _, store in _compared(stored, _stale(stored, site), site) if store]
    gone = _gone(stored.keys() - site.sources.keys())
    return put + [Page(key, "", bytes) for key in gone]


def record_inputs(
    storage: Storage, inputs: Mapping[str, Any], *, memo: IndexMemo | None = None
) -> None:
    """Store `inputs` in the site index (refresh.py), unless it holds them already: for a run
    that wrote no page (one that did stores them with its pages, `write_site`)."""
    raw, version = _read_index(storage, memo)
    if _inputs(raw) != dict(inputs) and raw.get("version") == SITE_INDEX_VERSION:
        _store_index(storage, {**raw, "inputs": dict(inputs)}, version, memo)


def _store_index(
    storage: Storage, index: dict[str, Any], version: str | None, memo: IndexMemo | None
) -> None:
    """Store `index` if the stored one is still the one read, at `version` (the run holds
    the lock: only a person can have changed it meanwhile), and remember it in `memo`."""
    # Every run that writes pages serialises the whole index: pydantic-core's serialiser takes
    # a fifth of the json module's time on 15,000 entries. Such a run has loaded it already
    # (the models use it); the no-change check, which only reads the index, never does.
    import pydantic_core

    data = pydantic_core.to_json(index)
    written = storage.put_bytes_if(
        SITE_INDEX_KEY,
        data,
        version=version,
        content_type="application/json",
        cache_control=caching.RECORD,
    )
    if memo is not None:
        memo.stored(index, data, written)


def write_site(
    storage: Storage,
    site: Site,
    *,
    inputs: Mapping[str, Any] | None = None,
    memo: IndexMemo | None = None,
) -> list[str]:
    """Store the pages whose bytes changed, delete pages no episode has now; return the keys.

    Only the pages whose sources changed are made and rendered; the index entries of the
    others are carried over as they were read.

    `inputs` (what `showpipe site` was made from, refresh.py) are recorded in the same write
    of the index as the pages; without them the recorded ones are kept. That is safe: they
    name the inputs the pages were last made from in full, and pages written now for other
    inputs (another manifest) do not match them.
    """
    raw, version = _read_index(storage, memo)
    stored = _entries(raw)
    stale = _stale(stored, site)
    index = dict(stored)
    written = []
    for page, entry, store in _compared(stored, stale, site):
        index[page.key] = entry
        if store:
            suffix = page.key[page.key.rfind(".") :]
            storage.put_bytes(
                page.key, page.html, content_type=_TYPES[suffix], cache_control=caching.CHANGING
            )
            written.append(page.key)
    extra = stored.keys() - site.sources.keys()
    gone = _gone(extra)
    for key in gone:
        storage.delete(key)  # the pages of an episode taken down
    for key in extra:
        del index[key]  # gone, or not a page at all
    kept = _inputs(raw)
    recorded = kept if inputs is None else dict(inputs)
    upgraded = raw.get("version") != SITE_INDEX_VERSION
    if stale or len(index) != len(stored) or recorded != kept or upgraded:
        new = {"version": SITE_INDEX_VERSION, "inputs": recorded, "pages": index}
        _store_index(storage, new, version, memo)
    return written + gone
