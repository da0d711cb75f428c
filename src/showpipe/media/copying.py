"""Copying media fast: the kernel moves the bytes while Python hashes them on another core."""

from __future__ import annotations

import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


def _copy_range(src: BinaryIO, out: BinaryIO, start: int, count: int) -> None:
    """Append `count` bytes of `src` from `start` to `out`, in the kernel where it can."""
    try:
        while count > 0:
            done = os.copy_file_range(src.fileno(), out.fileno(), count, start)
            if done == 0:
                raise OSError("source is shorter than expected")
            start, count = start + done, count - done
    except OSError:
        # Another file system, or no copy_file_range: copy through Python from here on.
        src.seek(start)
        while count > 0:
            chunk = src.read(min(CHUNK, count))
            if not chunk:
                raise
            out.write(chunk)
            count -= len(chunk)
        out.flush()


def _hash_range(path: Path, start: int, end: int, digest: hashlib._Hash) -> None:
    with path.open("rb") as f:
        f.seek(start)
        remaining = end - start
        while remaining > 0:
            chunk = f.read(min(CHUNK, remaining))
            if not chunk:
                raise OSError(f"{path} is shorter than expected")
            digest.update(chunk)
            remaining -= len(chunk)


def copy_with_prefix(prefix: bytes, source: Path, start: int, end: int, dest: Path) -> str:
    """Write `prefix` then `source[start:end]` to `dest`; return the sha256 of `dest`.

    The copy runs in the kernel on a worker thread while this thread hashes the same bytes
    from the source (both release the GIL), so the hash costs no extra pass over `dest`.
    """
    digest = hashlib.sha256(prefix)
    with source.open("rb") as src, dest.open("wb") as out:
        out.write(prefix)
        out.flush()
        with ThreadPoolExecutor(max_workers=1) as pool:
            copying = pool.submit(_copy_range, src, out, start, end - start)
            _hash_range(source, start, end, digest)
            copying.result()
    return digest.hexdigest()


def copy_file(source: Path, dest: Path) -> None:
    """A plain copy (the kernel's fastest way), for formats tagged in place afterwards."""
    shutil.copyfile(source, dest)


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
