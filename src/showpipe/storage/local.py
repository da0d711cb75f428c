"""A local folder as storage: the default, served by `showpipe serve`."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from showpipe.digests import data_digest, file_digest
from showpipe.errors import ConflictError, NotReadyError, StorageError
from showpipe.storage import Incomplete, ObjectInfo, Progress, PutItem

# Held (flock) while a conditional write compares and replaces, by every run sharing the folder.
WRITE_LOCK = ".showpipe-write.lock"


class LocalStorage:
    """Objects are files below `root`; every write is atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Folders written to, resolved and made once: a site writes 15,000 pages into four.
        self._folders: dict[str, Path] = {}

    def describe(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StorageError(f"key {key!r} points outside {self.root}")
        return path

    def _write_target(self, key: str) -> Path:
        """`_path(key)`, its folder made, for a write: the folder is resolved (checked) and
        made once per storage, and only a name that is a link is resolved again."""
        folder, _, name = key.rpartition("/")
        made = self._folders.get(folder)
        if made is None or name in ("", ".", ".."):
            made = self._path(folder) if folder else self.root.resolve()
            try:
                made.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StorageError(f"cannot write {made / name}: {e.strerror}") from e
            self._folders[folder] = made
        target = made / name
        return self._path(key) if name in ("", ".", "..") or target.is_symlink() else target

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StorageError(f"cannot read {self._path(key)}: {e.strerror}") from e

    def put_files(self, items: Sequence[PutItem], *, progress: Progress | None = None) -> None:
        for item in items:
            with self._replacing(item.key) as tmp:
                shutil.copyfile(item.path, tmp)
            if progress:
                progress(item.path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        # Feeds and pages, a thousand at a time on a big show: one open, write and rename each.
        target = self._write_target(key)
        try:
            try:
                fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            except FileNotFoundError:  # its folder was removed since this storage made it
                self._folders.clear()
                target = self._write_target(key)
                fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        except OSError as e:
            raise StorageError(f"cannot write {target}: {e.strerror}") from e
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                os.fchmod(f.fileno(), 0o644)
            os.replace(name, target)
        except OSError as e:
            Path(name).unlink(missing_ok=True)
            raise StorageError(f"cannot write {target}: {e.strerror}") from e

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        # Measured, not recorded: a local file is cheap to read back.
        return ObjectInfo(path.stat().st_size, file_digest(path))

    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        data = self.get(key)
        return None if data is None else (data, data_digest(data))

    def version(self, key: str) -> str | None:
        found = self.get_versioned(key)
        return found[1] if found else None

    def put_bytes_if(
        self, key: str, data: bytes, *, version: str | None, content_type: str, cache_control: str
    ) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / WRITE_LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            current = self.get_versioned(key)
            if (current[1] if current else None) != version:
                raise ConflictError(f"{self._path(key)} was changed by another showpipe run")
            self.put_bytes(key, data, content_type=content_type, cache_control=cache_control)
        return data_digest(data)

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        root = str(self.root.resolve())
        folder = os.path.join(root, prefix.rpartition("/")[0])  # walk only where it can match
        start = len(os.path.join(root, ""))
        sizes = {}
        # os.walk and os.stat on strings: a tenth of the time of Path.rglob on a big show
        for parent, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(parent, name)
                key = path[start:]
                if key.startswith(prefix) and not _is_temp(key):
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue  # a link to nowhere, or removed meanwhile
                    if stat.S_ISREG(info.st_mode):
                        sizes[key] = info.st_size
        return dict(sorted(sizes.items()))

    def incomplete_uploads(self) -> list[Incomplete]:
        """Temp files of writes that never reached their rename (a killed run's)."""
        root = self.root.resolve()
        if not root.is_dir():
            return []
        found = []
        for path in root.rglob(".*"):
            key = path.relative_to(root).as_posix()
            if path.is_file() and path.name != WRITE_LOCK:
                started = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                found.append(Incomplete(_target_of(key), key, started))
        return sorted(found, key=lambda u: u.upload_id)

    def abort_upload(self, upload: Incomplete) -> None:
        self._path(upload.upload_id).unlink(missing_ok=True)

    def preflight(self) -> list[tuple[str, str]]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            fix = "choose a writable folder with --storage or SHOWPIPE_STORAGE"
            raise NotReadyError(
                "folder", f"cannot create {self.root}: {e.strerror}", fix, passed=[]
            ) from e
        return [("folder", f"{self.root} exists")]

    def cors_allows(self, origin: str) -> None:
        return None  # the web server that serves the folder decides

    def public_read_policy(self) -> None:
        return None

    @contextmanager
    def _replacing(self, key: str) -> Iterator[Path]:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            os.close(fd)
        except OSError as e:
            raise StorageError(f"cannot write {target}: {e.strerror}") from e
        tmp = Path(name)
        try:
            yield tmp
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as e:
            raise StorageError(f"cannot write {target}: {e.strerror}") from e
        finally:
            tmp.unlink(missing_ok=True)


def _is_temp(key: str) -> bool:
    """`_replacing`'s temp files are `.<name>.<random>`; the write lock is ours too."""
    return key.rsplit("/", 1)[-1].startswith(".")


def _target_of(key: str) -> str:
    """The key a temp file `.<name>.<random>` was going to become."""
    folder, _, name = key.rpartition("/")
    target = name[1:].rsplit(".", 1)[0]
    return f"{folder}/{target}" if folder else target
