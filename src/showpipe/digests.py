"""Content digests: how showpipe recognises bytes it has seen before.

A file's digest names its object key, decides whether an upload can be skipped, and checks
what the storage holds. The hash is xxh3-128 (the `xxhash` library): it detects changed,
truncated or damaged files, which is its whole job here, since every byte hashed is the
podcaster's own; rsync trusts the same hash for the same job. It is the one hash fast enough
to hide behind a copy: an hour of MP3 (58 MB) hashes in 5 ms against SHA-256's 38 ms, while
the kernel copies it in 20 ms, so the first tagging of a recording costs little more than a
plain copy. What apps check against tampering (podcast:integrity) stays SHA-384, computed
only for the files that carry it (`media.copying.file_digests`).
"""

from __future__ import annotations

from pathlib import Path

import xxhash

ALGORITHM = "xxh128"  # how stored objects' metadata and the manifest name it
CHUNK = 1 << 20


def new_digest(data: bytes = b"") -> xxhash.xxh3_128:
    """A digest to feed piece by piece (`update`), starting with `data`."""
    return xxhash.xxh3_128(data)


def data_digest(data: bytes) -> str:
    """The digest of bytes in memory, as hex."""
    return xxhash.xxh3_128_hexdigest(data)


def file_digest(path: Path) -> str:
    """The digest of a file's bytes, as hex, reading it once in 1 MiB pieces."""
    digest = new_digest()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as f:
        while count := f.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()
