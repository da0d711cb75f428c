"""The build cache of tagged copies, keyed on the source's content and the tag set.

Republishing an unchanged episode must cost next to nothing, even for a 500 MB video. A copy
is named `<label>-<content key>-<tags hash><ext>` and the cache remembers which source
(resolved path and identity: inode, size, modification and change times) it was made from:
an unchanged source finds its copy without being read. A source that was touched, moved or
replaced is compared by content:

- MP3: the copy is the new tag followed by the source's audio frames, so its content key is
  the copy's own digest, and a source matches when digest(copy's tag + source's frames)
  equals it. First tagging thus hashes the audio once (for the manifest), not twice.
- other formats (remuxed or rewritten by their writers): the key is the source's digest,
  computed on another thread while the copy is written.
"""

from __future__ import annotations

import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from showpipe.digests import file_digest, new_digest, read_range
from showpipe.errors import MediaError, shown
from showpipe.media.hashes import TAGGED_DIR, HashCache
from showpipe.media.id3 import audio_region
from showpipe.media.tag import write_tags
from showpipe.media.tags import TagSet, fingerprint

HASH_CHARS = 16  # of each hash in a tagged copy's name
HASH = re.compile(f"[0-9a-f]{{{HASH_CHARS}}}")
PREFIXED = (".mp3",)  # formats whose copy is a new header + the source's bytes


@dataclass(frozen=True)
class TaggedFile:
    """A tagged copy in the build cache, measured."""

    source: Path
    path: Path
    size: int
    digest: str
    sri: str | None  # for podcast:integrity, when asked for; computed once, then remembered
    reused: bool


class BuildCache:
    """The build cache as one run sees it: file digests, and the tagged copies by label.

    Each is read from disk once per run (a run asks about every episode's files), kept in
    this object, and written back by the run; a new run reads the disk again.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.dir = cache_dir
        self.copies_dir = cache_dir / TAGGED_DIR
        self.hashes = HashCache(cache_dir)
        self._index: tuple[int, dict[tuple[str, str], list[str]]] | None = None

    def copies_of(self, label: str, suffix: str, tag_hash: str = "") -> list[Path]:
        """The tagged copies of `label`, sorted; only those with these tags when `tag_hash`
        is given."""
        return [
            self.copies_dir / name
            for name in self._copies().get((label, suffix), [])
            if not tag_hash or name[: -len(suffix)].endswith("-" + tag_hash[:HASH_CHARS])
        ]

    def _copies(self) -> dict[tuple[str, str], list[str]]:
        """The copies `<label>-<content key>-<tags hash><suffix>` by label and suffix: listed
        once, not once per episode, which made a big show's planning quadratic.

        Kept while the folder's mtime stands; this run's own writes drop it (`changed`),
        since two changes within one clock tick leave the mtime as it was.
        """
        try:
            stamp = self.copies_dir.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._index is not None and self._index[0] == stamp:
            return self._index[1]
        index: dict[tuple[str, str], list[str]] = {}
        for name in sorted(os.listdir(self.copies_dir)):
            stem, dot, extension = name.rpartition(".")
            label, content, tags = (stem.rsplit("-", 2) + ["", ""])[:3]
            if dot and HASH.fullmatch(content) and HASH.fullmatch(tags):
                index.setdefault((label, "." + extension), []).append(name)
        self._index = (stamp, index)
        return index

    def changed(self) -> None:
        self._index = None


def _prune(cache: BuildCache, label: str, keep: Path) -> None:
    """Remove the older tagged copies under the same label: the cache keeps one per label."""
    for old in cache.copies_of(label, keep.suffix):
        if old != keep:
            old.unlink(missing_ok=True)
    cache.changed()


def _prefixed_digest(copy: Path, source: Path) -> str:
    """The digest of the copy's tag followed by the source's audio frames."""
    with copy.open("rb") as f:
        digest = new_digest(f.read(audio_region(copy)[0]))
    for piece in read_range(source, *audio_region(source)):
        digest.update(piece)
    return digest.hexdigest()


def _same_content(copy: Path, source: Path, label: str, hashes: HashCache) -> bool:
    """Whether `copy` is what tagging `source` would write (its tags already match)."""
    key = copy.name[len(label) + 1 :][:HASH_CHARS]
    if source.suffix.lower() in PREFIXED:
        return _prefixed_digest(copy, source) == hashes.digest(copy)
    return hashes.digest(source)[:HASH_CHARS] == key


def _cached(cache: BuildCache, source: Path, label: str, tag_hash: str) -> Path | None:
    """The existing tagged copy for this source content and these tags, if any."""
    hashes = cache.hashes
    found = cache.copies_of(label, source.suffix.lower(), tag_hash)
    # Checked to exist: the index may predate a change made within the same clock tick.
    candidates = [copy for copy in found if copy.is_file()]
    for copy in candidates:
        if hashes.made_from(copy, source):
            return copy  # the very file it was made from: nothing to read
    for copy in candidates:
        if _same_content(copy, source, label, hashes):
            hashes.record_copy(copy, source)
            return copy
    return None


def _write(cache: BuildCache, source: Path, tags: TagSet, name: tuple[str, str]) -> Path:
    label, tag_hash = name
    hashes, folder = cache.hashes, cache.copies_dir
    folder.mkdir(parents=True, exist_ok=True)
    # A name, not a file: the writers create it. Truncating an empty file made by mkstemp
    # would make ext4 flush the whole copy to disk when it is closed (auto_da_alloc).
    tmp = folder / f".tagging-{secrets.token_hex(8)}{source.suffix.lower()}"
    prefixed = source.suffix.lower() in PREFIXED
    try:
        # The source's own digest (other formats) is computed meanwhile: the remuxing and
        # copying of the writers leave the interpreter free most of the time.
        with ThreadPoolExecutor(max_workers=1) as pool:
            source_digest = None if prefixed else pool.submit(hashes.digest, source)
            written = write_tags(source, tmp, tags) or file_digest(tmp)
            key = source_digest.result() if source_digest else written
        final = folder / f"{label}-{key[:HASH_CHARS]}-{tag_hash[:HASH_CHARS]}{tmp.suffix}"
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        cache.changed()
        hashes.remember(final, written)
        hashes.record_copy(final, source)
    finally:
        tmp.unlink(missing_ok=True)
    _prune(cache, label, final)
    return final


def find_tagged_copy(source: Path, tags: TagSet, *, cache: BuildCache, label: str) -> Path | None:
    """The up-to-date tagged copy of `source`, if the cache has one; writes nothing."""
    try:
        tag_hash = fingerprint(tags, source.suffix.lower(), cache.hashes.digest)
        return _cached(cache, source, label, tag_hash)
    except OSError as e:
        raise MediaError(f"{shown(source)}: cannot read: {e.strerror}") from e


def tagged_copy(
    source: Path, tags: TagSet, *, cache: BuildCache, label: str, integrity: bool = False
) -> TaggedFile:
    """The tagged copy of `source` in `cache_dir`: reused if present, else written and checked.

    Args:
        source: the original recording (only read).
        tags: what to write.
        cache: the run's build cache.
        label: names the copy (e.g. `<episode>-audio`); older copies under it are removed.
        integrity: also give the copy's SRI sha384 (one more read the first time only).

    Raises:
        MediaError: the copy could not be written, or its tags did not read back as written.
    """
    hashes = cache.hashes
    try:
        tag_hash = fingerprint(tags, source.suffix.lower(), hashes.digest)
        path = _cached(cache, source, label, tag_hash)
        reused = path is not None
        if path is None:
            path = _write(cache, source, tags, (label, tag_hash))
        digest = hashes.digest(path)
        sri = hashes.sri(path) if integrity else None
        hashes.save()
    except OSError as e:
        where = shown(Path(e.filename)) if e.filename else shown(cache.dir)
        raise MediaError(f"{shown(source)}: cannot tag into {where}: {e.strerror}") from e
    return TaggedFile(source, path, path.stat().st_size, digest, sri, reused)
