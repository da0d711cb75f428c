"""The lint's memo: the feeds and items linted before, and what was found in them.

A shortcut, like every cache under `.showpipe/cache/`: safe to delete (the next `check` lints
every item again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path
from typing import Any

from lxml import etree

import showpipe.feeds
from showpipe.config import Settings
from showpipe.digests import data_digest, new_digest
from showpipe.feeds import schema
from showpipe.feeds.findings import Finding, ItemLint
from showpipe.model.cache import code_key
from showpipe.model.fields import apple_categories
from showpipe.sealed import read_sealed, write_sealed

LINT_FILE = "lint.sealed"


# An ItemLint as kept on disk: builtins only, which unpickle many times faster than objects;
# its first five fields alone when it found nothing, as most items.
_Kept = tuple[Any, ...]


class LintMemo:
    """Feeds and items linted before; one per run.

    A feed whose bytes were linted before (with the same name and publicness) has the same
    findings. Otherwise each item is found by a digest of its bytes as they stand in the feed
    (of its XML as lxml writes it, in a feed linted whole) and of what it takes from the feed
    (its name, title, type, whether it is public, the namespaces in scope).

    Kept between runs in a sealed file under `.showpipe/cache/` (`showpipe.sealed`).
    """

    def __init__(self, path: Path) -> None:
        """Open the memo kept in `path`, under a key of the linting code and its data (the
        XSD, Apple's categories): other code starts empty."""
        self.path = path
        self.key = code_key(showpipe.feeds)  # the lint's modules, and any added to them
        self.key += data_digest(schema.podcast_xsd() + repr(apple_categories()).encode())
        stored = read_sealed(path, self.key)
        if not (isinstance(stored, tuple) and len(stored) == 2):
            stored = ({}, {})
        self.known: dict[str, _Kept] = stored[0]
        # feed digest -> (its findings, the keys of its items)
        self.known_feeds: dict[str, tuple[list[_Kept], list[str]]] = stored[1]
        self.used: dict[str, _Kept] = {}
        self.used_feeds: dict[str, tuple[list[_Kept], list[str]]] = {}

    @classmethod
    def of(cls, settings: Settings) -> LintMemo:
        return cls(settings.cache_dir / LINT_FILE)

    def feed(self, context: str, xml: bytes, lint: Callable[[], list[Finding]]) -> list[Finding]:
        digest = new_digest(context.encode() + b"\0")
        digest.update(xml)  # not joined to the context first: a feed is megabytes
        key = digest.hexdigest()
        kept = self.used_feeds.get(key) or self.known_feeds.get(key)
        if kept is None:
            before = set(self.used)
            findings = [astuple(f) for f in lint()]
            kept = (findings, sorted(set(self.used) - before))
        else:  # its items stay known, for the next version of the feed
            self.used.update((k, self.known[k]) for k in kept[1] if k in self.known)
        self.used_feeds[key] = kept
        return [Finding(*f) for f in kept[0]]

    def item(self, context: str, item: Any, lint: Callable[[Any], ItemLint]) -> ItemLint:
        """An item's findings, known by its XML as lxml writes it."""
        digest = new_digest(f"{context}\0".encode())
        digest.update(etree.tostring(item, with_tail=False))
        found = self._find(digest.hexdigest(), item, lint)
        assert found is not None  # lint always finds
        return found

    def as_written(
        self, context: str, lint: Callable[[bytes], ItemLint | None]
    ) -> Callable[[bytes], ItemLint | None]:
        """`lint` for items known by their bytes as they stand in the feed (cut from it):
        what an earlier run found for the same bytes, else linted and kept."""
        start = new_digest(f"{context}\0as written\0".encode())

        def known_or_linted(xml: bytes) -> ItemLint | None:
            digest = start.copy()
            digest.update(xml)
            return self._find(digest.hexdigest(), xml, lint)

        return known_or_linted

    def _find(self, key: str, item: Any, lint: Callable[[Any], ItemLint | None]) -> ItemLint | None:
        """What `key` found, from this run or an earlier one; else `lint(item)`, kept."""
        kept = self.used.get(key) or self.known.get(key)
        if kept is None:
            found = lint(item)
            if found is not None:
                self.used[key] = _keep(found)
            return found
        self.used[key] = kept
        return _kept(kept)

    def save(self) -> None:
        """Keep this run's feeds and items (only them) for the next run, if anything changed."""
        if self.used != self.known or self.used_feeds != self.known_feeds:
            write_sealed(self.path, self.key, (self.used, self.used_feeds))


def _keep(found: ItemLint) -> _Kept:
    summary, parts = found[:5], found[5:]
    if not any(parts):
        return summary
    return (*summary, *[[astuple(f) for f in findings] for findings in parts])


def _kept(kept: _Kept) -> ItemLint:
    if len(kept) == 5:
        return ItemLint(*kept)
    parts = [tuple(Finding(*f) for f in findings) for findings in kept[5:]]
    return ItemLint(*kept[:5], *parts)
