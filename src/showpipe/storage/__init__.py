"""Where published files live. `open_storage` picks the backend from the settings' target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from showpipe.config import DEFAULT_PUBLIC_URL, Settings
from showpipe.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from showpipe.storage.s3 import S3Storage

# Called from upload threads with the number of bytes just sent.
Progress = Callable[[int], None]
# A progress display: given a label and a byte total, a context yielding "advance by n bytes".
ProgressBars = Callable[[str, int], AbstractContextManager[Progress]]


def no_progress(label: str, total: int) -> AbstractContextManager[Progress]:
    """The display for cron, pipes and --quiet: none."""
    return nullcontext(lambda sent: None)


@dataclass(frozen=True)
class PutItem:
    """One local file to store: where it goes and the headers it is served with."""

    key: str
    path: Path
    content_type: str
    cache_control: str
    # Recorded beside the object where the backend can (S3 metadata), for people and tools.
    digest: str | None = None


@dataclass(frozen=True)
class ObjectInfo:
    """What the storage says about a stored object, to verify an upload against."""

    size: int
    # The digest recorded beside the object (S3 metadata) or measured (local files).
    digest: str | None


@dataclass(frozen=True)
class Incomplete:
    """An upload that was started and never finished (an S3 multipart upload, a temp file)."""

    key: str
    upload_id: str
    started: datetime


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

    def put_files(self, items: Sequence[PutItem], *, progress: Progress | None = None) -> None:
        """Store several files (concurrently where the backend can), reporting bytes sent."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        """Store `data` under `key`, replacing any object there (with its digest, for
        `stat`)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object at `key`; no error if there is none."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """The object's size and recorded digest, or None when there is no such object."""
        ...

    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and a version token (S3's ETag) for `put_bytes_if`."""
        ...

    def version(self, key: str) -> str | None:
        """The object's version token, as `get_versioned` gives it, without its bytes (S3: a
        HEAD request); None when there is no such object."""
        ...

    def put_bytes_if(
        self, key: str, data: bytes, *, version: str | None, content_type: str, cache_control: str
    ) -> str:
        """Store `data` only if the object is still at `version` (None: only if absent);
        return its new version.

        Raises:
            ConflictError: the object changed (or appeared) since `version` was read.
        """
        ...

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        """Every stored key starting with `prefix`, with its size in bytes."""
        ...

    def incomplete_uploads(self) -> list[Incomplete]:
        """Uploads started and never finished (left by a crash or a kill)."""
        ...

    def abort_upload(self, upload: Incomplete) -> None:
        """Discard an unfinished upload and the parts it stored."""
        ...

    def preflight(self) -> list[tuple[str, str]]:
        """The storage's own readiness steps (credentials, bucket; a writable folder), each
        as (step, what was found), before `showpipe doctor` writes its probe.

        Raises:
            NotReadyError: at the first step that fails, with the steps passed before it.
        """
        ...

    def cors_allows(self, origin: str) -> bool | None:
        """Whether the storage's own CORS rules let a page on `origin` GET objects; None when
        it has none (a folder: the web server that serves it decides)."""
        ...

    def public_read_policy(self) -> dict[str, Any] | None:
        """The access policy that makes the published objects publicly readable, where the
        storage has such policies."""
        ...


def bucket_of(storage: Storage, otherwise: str) -> S3Storage:
    """The storage as an S3 bucket, for what only buckets have (CORS rules, policies).

    Raises:
        StorageError: the storage is a local folder; `otherwise` says what to do instead.
    """
    from showpipe.storage.s3 import S3Storage

    if not isinstance(storage, S3Storage):
        raise StorageError(f"{storage.describe()} is a local folder: {otherwise}")
    return storage


def open_storage(settings: Settings) -> Storage:
    """The storage named by `settings.storage`: `s3://bucket/prefix`, else a local folder.

    Raises:
        ConfigError: the S3 settings are invalid, or S3 is chosen without a public URL.
    """
    from showpipe.storage.local import LocalStorage

    target = settings.storage
    if target.startswith("s3://"):
        from showpipe.storage.s3 import S3Storage
        from showpipe.storage.s3config import load_s3_config

        if settings.public_url == DEFAULT_PUBLIC_URL:
            # The default is `showpipe serve`'s address: feeds pointing there would reach no one.
            raise ConfigError(
                f"storage {target} needs public_url, the URL that serves it (the bucket's URL "
                "or a CDN): set it in showpipe.toml, --public-url or SHOWPIPE_PUBLIC_URL"
            )

        return S3Storage(load_s3_config(target, settings.storage_options))
    path = Path(target).expanduser()
    return LocalStorage(path if path.is_absolute() else settings.root / path)


__all__ = [
    "MANIFEST_KEY",
    "Incomplete",
    "ObjectInfo",
    "Progress",
    "ProgressBars",
    "PutItem",
    "Storage",
    "no_progress",
    "open_storage",
]
