"""A local folder as storage: the default, served by `showpipe serve`."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from showpipe.errors import StorageError
from showpipe.storage import Check, Progress, PutItem


class LocalStorage:
    """Objects are files below `root`; every write is atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StorageError(f"key {key!r} points outside {self.root}")
        return path

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StorageError(f"cannot read {self._path(key)}: {e.strerror}") from e

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str) -> None:
        with self._replacing(key) as tmp:
            shutil.copyfile(path, tmp)

    def put_files(self, items: Sequence[PutItem], *, progress: Progress | None = None) -> None:
        for item in items:
            self.put_file(
                item.key,
                item.path,
                content_type=item.content_type,
                cache_control=item.cache_control,
            )
            if progress:
                progress(item.path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        with self._replacing(key) as tmp:
            tmp.write_bytes(data)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def preflight(self) -> list[Check]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return [
                Check(
                    "folder",
                    False,
                    f"cannot create {self.root}: {e.strerror}",
                    "choose a writable folder with --storage or SHOWPIPE_STORAGE",
                )
            ]
        return [Check("folder", True, f"{self.root} exists")]

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
