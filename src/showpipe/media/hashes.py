"""What the build cache remembers about files, so unchanged ones are never read again.

A file is known by its resolved path (one recording reached by two paths is one entry) and
its identity (`inputfiles.identity`: inode, size, modification and change times, following
links). While that is unchanged, its remembered digest and probe are trusted, and so is the
record of which source a tagged copy was made from.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from showpipe.digests import file_digest, file_digests
from showpipe.inputfiles import identity
from showpipe.sealed import save_json

# Named after the hash: an older cache, of SHA-256 values, is simply not read. `VERSION` is
# the layout of its entries; a file of another (identities without the change time) is not
# read either.
HASHES_FILE = "xxh128.json"
VERSION = 2
TAGGED_DIR = "tagged"
# An entry is the file's identity, then what is remembered about the file as it was then.
_ID = 4

Entry = list[int | str | float | None]

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    P = TypeVar("P", bound=DataclassInstance)
else:
    P = TypeVar("P")


def _located(path: Path) -> tuple[str, list[int] | None]:
    """The cache's key for `path`, its resolved path, and the identity of the file there now
    (None: not a regular file, never trusted).

    Not the identity of the key: it is taken through `path`, so that a link moved since its
    target was resolved makes the entry miss instead of vouching for another file."""
    found = identity(path, follow_links=True)
    return _resolved(os.path.abspath(path)), None if found is None else list(found)


@functools.lru_cache(maxsize=65536)
def _resolved(path: str) -> str:
    """The absolute path without symlinks, once per process: resolving walks every folder
    of the path, and a publish asks about each file many times. A link moved meanwhile only
    makes the remembered entry miss (the identity comes from the file itself)."""
    return os.path.realpath(path)


def _still(entry: Entry | None, found: list[int] | None) -> Entry | None:
    """What `entry` remembers, if the file is the one it was remembered for."""
    if entry is None or found is None or entry[:_ID] != found:
        return None
    return entry[_ID:]


class HashCache:
    """Digests of files, their probes, and the source each tagged copy was made from, in one
    JSON file."""

    _files: dict[str, Entry]
    _copies: dict[str, Entry]
    _probes: dict[str, Entry]

    def __init__(self, cache_dir: Path) -> None:
        self.file = cache_dir / HASHES_FILE
        self.copies_dir = cache_dir / TAGGED_DIR
        self._changed = False
        try:
            data = json.loads(self.file.read_text())
            if data.get("version") != VERSION:
                raise ValueError("another layout")
            files: dict[str, Entry] = data["files"]
            copies: dict[str, Entry] = data["copies"]
            probes: dict[str, Entry] = data["probes"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            files, copies, probes = {}, {}, {}  # none yet, or damaged: it is only a cache
        # An entry of a file that is gone is never asked for (a file is looked up as it is
        # now); they are forgotten when the cache is saved, not looked for at every load.
        self._files, self._copies, self._probes = files, copies, probes

    def known(self, path: Path) -> str | None:
        """The remembered digest of `path`, if the file has not changed since."""
        kept = self._look_up(path)[2]
        return str(kept[0]) if kept else None

    def _look_up(self, path: Path) -> tuple[str, list[int] | None, Entry | None]:
        """The file's key, its identity now, and what is remembered for it while it is that."""
        key, found = _located(path)
        return key, found, _still(self._files.get(key), found)

    def remember(self, path: Path, digest: str, sri: str | None = None) -> None:
        """Remember the digest (and SRI) of `path` as it is now: its caller has just written
        it, or read it."""
        self._keep(*_located(path), digest, sri)

    def _keep(self, key: str, found: list[int] | None, digest: str, sri: str | None) -> None:
        if found is not None:
            self._files[key] = [*found, digest, *([sri] if sri else [])]
            self._changed = True

    def digests(self, path: Path) -> tuple[str, str]:
        """The file's digest and SRI sha384: remembered, or computed together in one read."""
        key, found, kept = self._look_up(path)
        if kept and len(kept) > 1:
            return str(kept[0]), str(kept[1])
        digest, sri = file_digests(path)
        # Kept with the identity taken before reading: a file changed while it was read
        # is read again next time.
        self._keep(key, found, digest, sri)
        return digest, sri

    def sri(self, path: Path) -> str:
        """The file's SRI sha384 (see `digests`)."""
        return self.digests(path)[1]

    def digest(self, path: Path) -> str:
        """The file's digest: remembered, or computed (one read) and remembered."""
        key, found, kept = self._look_up(path)
        if kept:
            return str(kept[0])
        digest = file_digest(path)
        self._keep(key, found, digest, None)  # with the identity from before reading
        return digest

    def remembered(
        self, path: Path, kind: str, made: Callable[..., P], probe: Callable[[Path], P]
    ) -> P:
        """`probe(path)`, a frozen dataclass of plain values (`kind`: what it is, "media",
        "image", "video"); or, if the file has not changed since, what it found then, made
        again from its fields."""
        known = self.probed(path, kind)
        if known is not None:
            return made(*known)
        found = probe(path)
        self.keep_probe(path, kind, list(astuple(found)))
        return found

    def probed(self, path: Path, kind: str) -> Entry | None:
        """What probing `path` as `kind` found, if the file has not changed since it was
        probed (`keep_probe`)."""
        key, found = _located(path)
        return _still(self._probes.get(f"{kind}:{key}"), found)

    def keep_probe(self, path: Path, kind: str, found: Entry) -> None:
        key, now = _located(path)
        if now is not None:
            self._probes[f"{kind}:{key}"] = [*now, *found]
            self._changed = True

    def made_from(self, copy: Path, source: Path) -> bool:
        """Whether `copy` was made from `source` (or last matched it) as the file is now."""
        key, found = _located(source)
        return found is not None and self._copies.get(copy.name) == [key, *found]

    def record_copy(self, copy: Path, source: Path) -> None:
        key, found = _located(source)
        if found is not None:
            self._copies[copy.name] = [key, *found]
            self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        # Forget files that are gone (pruned copies, deleted recordings).
        data = {
            "version": VERSION,
            "files": {k: v for k, v in self._files.items() if os.path.exists(k)},
            "copies": {k: v for k, v in self._copies.items() if (self.copies_dir / k).exists()},
            "probes": {
                k: v for k, v in self._probes.items() if os.path.exists(k.partition(":")[2])
            },
        }
        save_json(self.file, data)  # once per tagged copy
        self._changed = False
