"""Where published files live. `open_storage` picks the backend from the settings' target."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from showpipe.config import Settings

# The publish manifest's key in every storage (see manifest.py). Defined here, beside the
# storage, so that cron's no-change check can find it without loading pydantic.
MANIFEST_KEY = "showpipe/manifest.json"


class Storage(Protocol):
    """The operations publishing needs; keys are `/`-separated, URL-safe, relative."""

    def describe(self) -> str:
        """Where this storage is, for messages (never includes credentials)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        ...

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str) -> None:
        """Store a file's bytes under `key`, replacing any object there."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        """Store `data` under `key`, replacing any object there."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object at `key`; no error if there is none."""
        ...


def open_storage(settings: Settings) -> Storage:
    """The storage named by `settings.storage`: `s3://bucket/prefix`, else a local folder."""
    from showpipe.storage.local import LocalStorage

    target = settings.storage
    path = Path(target).expanduser()
    return LocalStorage(path if path.is_absolute() else settings.root / path)


__all__ = ["MANIFEST_KEY", "Storage", "open_storage"]
