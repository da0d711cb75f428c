"""The build cache of tagged copies, keyed on the source's content and the tag set.

Republishing an unchanged episode must cost next to nothing, even for a 500 MB video: the
source's sha256 is remembered against its (size, mtime, inode), so an unchanged file is not
read again, and a tagged copy whose name matches both hashes is reused as it is.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media.copying import file_sha256
from showpipe.media.tag import verify_tags, write_tags
from showpipe.media.tags import TagSet, fingerprint

HASHES_FILE = "hashes.json"
TAGGED_DIR = "tagged"
HASH_CHARS = 16  # of each hash in a tagged copy's name


class HashCache:
    """sha256 of files by path, valid while the file's size, mtime and inode are unchanged."""

    def __init__(self, file: Path) -> None:
        self.file = file
        try:
            self._entries: dict[str, list[int | str]] = json.loads(file.read_text())
        except (OSError, ValueError):
            self._entries = {}  # none yet, or damaged: it is only a cache
        self._changed = False

    @staticmethod
    def _identity(path: Path) -> list[int | str]:
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns, stat.st_ino]

    def known(self, path: Path) -> str | None:
        """The remembered sha256 of `path`, if the file has not changed since."""
        entry = self._entries.get(str(path.resolve()))
        if entry and entry[:3] == self._identity(path):
            return str(entry[3])
        return None

    def remember(self, path: Path, sha256: str) -> None:
        self._entries[str(path.resolve())] = [*self._identity(path), sha256]
        self._changed = True

    def sha256(self, path: Path) -> str:
        """The file's sha256: remembered, or computed (one read) and remembered."""
        known = self.known(path)
        if known is None:
            known = file_sha256(path)
            self.remember(path, known)
        return known

    def save(self) -> None:
        if not self._changed:
            return
        # Forget files that are gone (pruned copies, deleted recordings).
        self._entries = {k: v for k, v in self._entries.items() if os.path.exists(k)}
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_name(self.file.name + ".tmp")
        tmp.write_text(json.dumps(self._entries, indent=0, sort_keys=True))
        os.replace(tmp, self.file)
        self._changed = False


@dataclass(frozen=True)
class TaggedFile:
    """A tagged copy in the build cache, measured."""

    source: Path
    path: Path
    size: int
    sha256: str
    reused: bool


def _name(label: str, source: Path, source_hash: str, tag_hash: str) -> str:
    suffix = source.suffix.lower()
    return f"{label}-{source_hash[:HASH_CHARS]}-{tag_hash[:HASH_CHARS]}{suffix}"


def _prune(folder: Path, label: str, keep: Path) -> None:
    """Remove the older tagged copies under the same label: the cache keeps one per label."""
    pattern = re.compile(
        re.escape(label)
        + rf"-[0-9a-f]{{{HASH_CHARS}}}-[0-9a-f]{{{HASH_CHARS}}}"
        + re.escape(keep.suffix)
    )
    for old in folder.iterdir():
        if old != keep and pattern.fullmatch(old.name):
            old.unlink(missing_ok=True)


def _write(
    source: Path, tags: TagSet, folder: Path, name: tuple[str, str], hashes: HashCache
) -> Path:
    label, tag_hash = name
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".tagging-", suffix=source.suffix.lower())
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # Hash the source on another core while the copy is written (both release the GIL).
        with ThreadPoolExecutor(max_workers=1) as pool:
            source_hash = pool.submit(hashes.sha256, source)
            written_hash = write_tags(source, tmp, tags)
            verify_tags(tmp, tags, name=source)
            final = folder / _name(label, source, source_hash.result(), tag_hash)
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        hashes.remember(final, written_hash or file_sha256(final))
    finally:
        tmp.unlink(missing_ok=True)
    _prune(folder, label, final)
    return final


def _cached(
    folder: Path, source: Path, label: str, tag_hash: str, hashes: HashCache
) -> Path | None:
    """The existing tagged copy for this source content and these tags, if any.

    A source whose hash is not remembered (new, or only touched) is hashed only when a copy
    with these tags exists under the label; otherwise it is hashed while it is tagged.
    """
    source_hash = hashes.known(source)
    if source_hash is None:
        suffix = source.suffix.lower()
        candidates = folder.glob(f"{glob.escape(label)}-*-{tag_hash[:HASH_CHARS]}{suffix}")
        if not any(candidates):
            return None
        source_hash = hashes.sha256(source)
    path = folder / _name(label, source, source_hash, tag_hash)
    return path if path.is_file() else None


def find_tagged_copy(source: Path, tags: TagSet, *, cache_dir: Path, label: str) -> Path | None:
    """The up-to-date tagged copy of `source`, if the cache has one; writes nothing."""
    hashes = HashCache(cache_dir / HASHES_FILE)
    try:
        tag_hash = fingerprint(tags, source.suffix.lower(), hashes.sha256)
        return _cached(cache_dir / TAGGED_DIR, source, label, tag_hash, hashes)
    except OSError as e:
        raise MediaError(f"{shown(source)}: cannot read: {e.strerror}") from e


def tagged_copy(source: Path, tags: TagSet, *, cache_dir: Path, label: str) -> TaggedFile:
    """The tagged copy of `source` in `cache_dir`: reused if present, else written and checked.

    Args:
        source: the original recording (only read).
        tags: what to write.
        cache_dir: the build cache.
        label: names the copy (e.g. `<episode>-audio`); older copies under it are removed.

    Raises:
        MediaError: the copy could not be written, or its tags did not read back as written.
    """
    hashes = HashCache(cache_dir / HASHES_FILE)
    folder = cache_dir / TAGGED_DIR
    try:
        tag_hash = fingerprint(tags, source.suffix.lower(), hashes.sha256)
        path = _cached(folder, source, label, tag_hash, hashes)
        reused = path is not None
        if path is None:
            path = _write(source, tags, folder, (label, tag_hash), hashes)
        sha256 = hashes.sha256(path)
        hashes.save()
    except OSError as e:
        where = shown(Path(e.filename)) if e.filename else shown(cache_dir)
        raise MediaError(f"{where}: cannot tag {shown(source)}: {e.strerror}") from e
    return TaggedFile(source, path, path.stat().st_size, sha256, reused)
