"""Opening the project's files the one safe way: every command checks a path like this first.

A path named by the project, or found in its folders, is read only if it is a regular file
(not a FIFO, which would block cron for ever; not a device like /dev/zero, which never ends;
not a folder), lies inside the project once symbolic links are followed (a link out of it
would publish a file from elsewhere), and is no bigger than the limit for its kind. The
file is opened without blocking and checked through its open descriptor, so what is
checked is what is read.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path
from typing import NamedTuple

# Limits per kind of file, far above any honest file (docs/limits.md).
MAX_YAML_BYTES = 1_000_000
MAX_CONFIG_BYTES = 1_000_000
MAX_IMAGE_BYTES = 50_000_000
MAX_TRANSCRIPT_BYTES = 20_000_000
MAX_MEDIA_BYTES = 64 << 30  # 64 GiB: a long 4K recording, not a disk image


class UnsafeFile(Exception):
    """A path that must not be read; `problem` says why, in a podcaster's words."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}")


def yaml_files(folder: Path) -> list[Path]:
    """Every `*.yaml` entry of a project folder, in name order: folders, pipes and links too,
    so that reading each reports what is wrong with it instead of skipping it unnoticed."""
    return [folder / name for name in yaml_names(folder)]


def yaml_names(folder: Path) -> list[str]:
    """The names of `yaml_files(folder)`: sorted as text, which costs far less than sorting
    thousands of `Path`s."""
    try:
        return sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []


@functools.lru_cache(maxsize=256)
def _real_folder(folder: str) -> str:
    """An absolute folder without links, resolved once per process (cron reads thousands of
    files in one): the project's folders are the user's own and do not move during a run.
    Only absolute paths come here: a relative one would mean another folder after a chdir."""
    return os.path.join(os.path.realpath(folder), "")


def _inside(path: Path, root: Path) -> bool:
    real_root = _real_folder(os.path.abspath(root))
    if os.path.islink(path):
        return os.path.realpath(path).startswith(real_root)
    return _real_folder(os.path.dirname(os.path.abspath(path))).startswith(real_root)


def _checked_fd(path: Path, *, root: Path, limit: int) -> tuple[int, int]:
    """Open `path` after the checks; return the descriptor and the file's size."""
    if not _inside(path, root):
        # A symlink out of the project: followed, it would publish a file from elsewhere.
        raise UnsafeFile(path, "a link to a file outside the project")
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as e:
        raise UnsafeFile(path, "file not found") from e
    except OSError as e:
        raise UnsafeFile(path, f"cannot read file: {e.strerror}") from e
    info = os.fstat(fd)
    problem = None
    if stat.S_ISDIR(info.st_mode):
        problem = "is a folder, not a file"
    elif not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file (a pipe, socket or device); give a file"
    elif info.st_size > limit:
        problem = f"file is larger than {limit} bytes"
    if problem:
        os.close(fd)
        raise UnsafeFile(path, problem)
    return fd, info.st_size


def check_file(path: Path, *, root: Path, limit: int) -> int:
    """Check that `path` may be read (see the module); return its size in bytes.

    Raises:
        UnsafeFile: missing, not a regular file, outside `root`, or bigger than `limit`.
    """
    fd, size = _checked_fd(path, root=root, limit=limit)
    os.close(fd)
    return size


def read_file(path: Path, *, root: Path, limit: int) -> bytes:
    """The bytes of `path`, read only after `check_file`'s checks, never more than `limit`.

    Raises:
        UnsafeFile: as `check_file`, or the file grew past `limit` while being read.
    """
    fd, size = _checked_fd(path, root=root, limit=limit)
    chunks, total, want = [], 0, min(size, limit) + 1
    try:
        # Until the end, or one byte past the limit in case the file grew meanwhile.
        while total <= limit and (chunk := os.read(fd, want)):
            chunks.append(chunk)
            total += len(chunk)
            want = min(1 << 16, limit + 1 - total)
    finally:
        os.close(fd)
    if total > limit:
        raise UnsafeFile(path, f"file is larger than {limit} bytes")
    return b"".join(chunks)


# A file's identity, as git's index keeps it: inode, size, modification and change times (ns).
# Every cache that skips reading an unchanged file compares these: the project's YAML and
# artwork (the episode cache, cron's input digests) and the build cache's media and images.
Identity = tuple[int, int, int, int]
# A file that changed this recently when read may change again unseen within the same tick
# of a coarse file-system clock: its identity is not trusted until it has settled.
_SETTLED_NS = 2_000_000_000


def identity(path: str | Path, *, follow_links: bool = False) -> Identity | None:
    """The identity of the regular file at `path`; None for anything else (a folder, a pipe,
    a device), which a cache must read, with every check, each time.

    Whether a symbolic link is followed depends on what the cache is keyed by. Keyed by a
    name in a project folder (the episode cache, cron's input digests), a link is not
    followed and has no identity: it is read through `read_file` each time, whose checks
    (inside the project once followed, a regular file, under the limit) a cache hit would
    skip. Keyed by the resolved path (`follow_links`: the build cache, where one recording
    reached by two paths is one entry), the key names the very file, and the identity is
    that of the file the link reaches.

    Raises:
        OSError: nothing is there (or, following links, a link to nothing).
    """
    found = os.stat(path) if follow_links else os.lstat(path)
    if not stat.S_ISREG(found.st_mode):
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


class SeenFile(NamedTuple):
    """A project file as a run found it: its identity (None: not a regular file, or a
    link) and, if the run read it, its bytes (read with `read_file`'s checks) and when the
    reading began (`time.time_ns()`). A later step of the run uses these very bytes: the
    file is not read twice, and what is built is what was hashed."""

    identity: Identity | None
    raw: bytes | None = None
    read_at: int = 0


def settled(found: Identity | None, read_at_ns: int) -> Identity | None:
    """`found` if the file had not changed for a while when it was read at `read_at_ns`
    (`time.time_ns()`), else None: a cache may then skip reading it while it keeps it.

    The change time is part of the identity, and no program can set it back, so an edit
    that restores the modification time and keeps the size is still seen.
    """
    if found is None or read_at_ns - max(found[2], found[3]) < _SETTLED_NS:
        return None
    return found
