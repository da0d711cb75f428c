"""Copying media fast: the kernel copies the bytes while this thread hashes them."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from showpipe.digests import CHUNK, new_digest, read_range
from showpipe.inputfiles import identity

# Errors that mean "this kernel or file system cannot do that here" (copy_file_range,
# fallocate), not a failure: the copy is made without it.
UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


class PrefixOutgrewRoom(Exception):
    """The prefix came out longer than the room left for it; it is kept to start again."""

    def __init__(self, prefix: bytes) -> None:
        super().__init__(f"a {len(prefix)}-byte prefix did not fit")
        self.prefix = prefix


def copy_with_prefix(
    make_prefix: Callable[[], bytes],
    room: int,
    source: Path,
    span: tuple[int, int],
    dest: Path,
    *,
    meanwhile: Callable[[], None] = lambda: None,
) -> str:
    """Write a prefix of `room` bytes, then `source[start:end]`, to `dest`; return its digest.

    The kernel starts copying the bytes to offset `room` at once (copy_file_range, no trip
    through Python) on a worker thread. Meanwhile this thread makes the prefix, writes it,
    reads the same bytes from the page cache to hash them, and runs `meanwhile` (reading
    the new tags back from `dest`, say, which may read only the prefix). The copy is the
    floor; the rest hides behind it on the second core. The digest is taken from the
    source's bytes, so a source that changed while it was copied is an error.

    Raises:
        PrefixOutgrewRoom: `make_prefix()` was not `room` bytes long; `dest` is removed.
        OSError: reading or writing failed, or `source` changed meanwhile.
    """
    before = identity(source, follow_links=True)
    try:
        digest = _copy_and_hash(make_prefix, room, source, span, dest, meanwhile)
    except PrefixOutgrewRoom:
        dest.unlink()
        raise
    if identity(source, follow_links=True) != before:
        raise OSError(f"{source} changed while it was being copied; try again")
    return digest


def _copy_and_hash(
    make_prefix: Callable[[], bytes],
    room: int,
    source: Path,
    span: tuple[int, int],
    dest: Path,
    meanwhile: Callable[[], None],
) -> str:
    start, end = span
    with (
        source.open("rb", buffering=0) as src,
        dest.open("xb", buffering=0) as out,  # a new file: see media.cache on truncating
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        _preallocate(out.fileno(), room + end - start)
        started = threading.Event()

        def copy() -> None:
            started.set()
            _copy_range(src.fileno(), out.fileno(), start, end, room)

        copying = pool.submit(copy)
        # Let the worker into its system call now, not after the interpreter's 5 ms switch
        # interval: building the prefix would hold the interpreter lock until then.
        started.wait()
        try:
            prefix = make_prefix()
            if len(prefix) != room:
                raise PrefixOutgrewRoom(prefix)
            os.pwrite(out.fileno(), prefix, 0)
            digest = new_digest(prefix)
            for piece in read_range(source, start, end):
                digest.update(piece)
            meanwhile()
        finally:
            copying.result()
    return digest.hexdigest()


def _preallocate(fd: int, size: int) -> None:
    """Reserve the copy's blocks at once: the kernel then copies a quarter faster (measured
    on ext4: no block reservation per page), the file is not fragmented, and a full disk
    fails here rather than halfway. Only an optimisation where unsupported."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as e:
        if e.errno not in UNSUPPORTED:
            raise


def _copy_range(src: int, out: int, start: int, end: int, at: int) -> None:
    """Copy `src[start:end]` to `out` at offset `at`: in the kernel where it can."""
    offset, target = start, at
    try:
        while offset < end:
            count = os.copy_file_range(src, out, end - offset, offset, target)
            if not count:
                raise OSError(errno.EIO, "source is shorter than expected")
            offset, target = offset + count, target + count
    except OSError as e:
        if e.errno not in UNSUPPORTED:
            raise
        _copy_range_by_reading(src, out, offset, end, target)


def _copy_range_by_reading(src: int, out: int, offset: int, end: int, target: int) -> None:
    """The same copy through a buffer, where the kernel cannot do it (another platform)."""
    while offset < end:
        data = os.pread(src, min(CHUNK, end - offset), offset)
        if not data:
            raise OSError(errno.EIO, "source is shorter than expected")
        view = memoryview(data)
        while view:
            written = os.pwrite(out, view, target)
            view, target = view[written:], target + written
        offset += len(data)
