"""What the build cache remembers about files, so unchanged ones are never read again.

A file is known by its identity: path, size, modification time (ns) and inode. While that
is unchanged, its remembered digest is trusted, and so is the record of which source
identity a tagged copy was made from.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from showpipe.digests import file_digest, file_digests

Identity = list[int | str]
# Named after the hash: an older cache, of SHA-256 values, is simply not read.
HASHES_FILE = "xxh128.json"
TAGGED_DIR = "tagged"


def stamp(path: Path) -> tuple[int, int, int]:
    """What changes when a file is rewritten or replaced: size, mtime (ns), inode."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def identity(path: Path) -> Identity:
    return [_resolved(os.path.abspath(path)), *stamp(path)]


@functools.lru_cache(maxsize=65536)
def _resolved(path: str) -> str:
    """The absolute path without symlinks, once per process: resolving walks every folder
    of the path, and a publish asks about each file many times. A link moved meanwhile only
    makes the remembered entry miss (size, mtime and inode come from the file itself)."""
    return os.path.realpath(path)


class HashCache:
    """Digests of files, and the source each tagged copy was made from, in one JSON file."""

    _files: dict[str, list[int | str]]
    _copies: dict[str, Identity]
    _probes: dict[str, list[int | str | float]]

    def __init__(self, cache_dir: Path) -> None:
        self.file = cache_dir / HASHES_FILE
        self.copies_dir = cache_dir / TAGGED_DIR
        self._changed = False
        try:
            data = json.loads(self.file.read_text())
            files: dict[str, list[int | str]] = data["files"]
            copies: dict[str, Identity] = data["copies"]
            probes: dict[str, list[int | str | float]] = data.get("probes", {})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            files, copies, probes = {}, {}, {}  # none yet, or damaged: it is only a cache
        # Forget files that are gone (pruned copies, deleted recordings).
        self._files = {k: v for k, v in files.items() if os.path.exists(k)}
        self._copies = {k: v for k, v in copies.items() if (self.copies_dir / k).exists()}
        self._probes = {k: v for k, v in probes.items() if os.path.exists(k.partition(":")[2])}

    def known(self, path: Path) -> str | None:
        """The remembered digest of `path`, if the file has not changed since."""
        key, *rest = identity(path)
        entry = self._files.get(str(key))
        return str(entry[3]) if entry and entry[:3] == rest else None

    def remember(self, path: Path, digest: str, sri: str | None = None) -> None:
        key, *rest = identity(path)
        self._files[str(key)] = [*rest, digest, *([sri] if sri else [])]
        self._changed = True

    def digests(self, path: Path) -> tuple[str, str]:
        """The file's digest and SRI sha384: remembered, or computed together in one read."""
        key, *rest = identity(path)
        entry = self._files.get(str(key))
        if entry and entry[:3] == rest and len(entry) > 4:
            return str(entry[3]), str(entry[4])
        digest, sri = file_digests(path)
        self.remember(path, digest, sri)
        return digest, sri

    def sri(self, path: Path) -> str:
        """The file's SRI sha384 (see `digests`)."""
        return self.digests(path)[1]

    def digest(self, path: Path) -> str:
        """The file's digest: remembered, or computed (one read) and remembered."""
        known = self.known(path)
        if known is None:
            known = file_digest(path)
            self.remember(path, known)
        return known

    def probed(self, path: Path, kind: str) -> list[int | str | float] | None:
        """What probing `path` as `kind` ("media", "image") found, if the file has not
        changed since it was probed (`keep_probe`)."""
        key, *rest = identity(path)
        entry = self._probes.get(f"{kind}:{key}")
        return entry[3:] if entry and entry[:3] == rest else None

    def keep_probe(self, path: Path, kind: str, found: list[int | str | float]) -> None:
        key, *rest = identity(path)
        self._probes[f"{kind}:{key}"] = [*rest, *found]
        self._changed = True

    def made_from(self, copy: Path) -> Identity | None:
        """The identity the source of `copy` had when the copy was made or last matched."""
        return self._copies.get(copy.name)

    def record_copy(self, copy: Path, source: Path) -> None:
        self._copies[copy.name] = identity(source)
        self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_name(self.file.name + ".tmp")
        data = {"files": self._files, "copies": self._copies, "probes": self._probes}
        # Saved once per tagged copy: compact, so that json's C encoder does it (an indent
        # means its pure-Python one, the most of a first publish's time on a big show).
        tmp.write_text(json.dumps(data, sort_keys=True))
        os.replace(tmp, self.file)
        self._changed = False
