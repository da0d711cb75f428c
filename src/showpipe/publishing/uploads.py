"""Sending a plan's files to storage, and checking they are stored whole before anything
names them.

A rerun after a kill finds the complete objects a killed run left (`not_stored`), and the
check after uploading (`verify_uploads`) takes one listing per crowded folder rather than a
request per object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from showpipe.errors import StorageError
from showpipe.model.manifest import StoredFile
from showpipe.storage import ObjectInfo, ProgressBars, PutItem, Storage, caching, no_progress

# Media and artwork keys change whenever their content does, so they may be cached forever.
# Concurrent HEAD requests when checking uploads (botocore's pool has max_concurrency + 2).
STAT_WORKERS = 8
# From this many uploads into one folder, list it rather than ask about each key.
LIST_FROM = 20
# Files from this size up are uploaded one at a time, each with its own progress bar.
LARGE_FILE = 8 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """A local file to store under `file.key`; `needed` is False when it is already there."""

    file: StoredFile
    source: Path
    needed: bool


def cache_control(file: StoredFile) -> str:
    """Episode media are replaced in place when their tags change; everything else is
    content-addressed and never changes under its key."""
    return caching.REPLACED if file.recording else caching.CONTENT


def upload_files(
    uploads: Sequence[Upload],
    storage: Storage,
    *,
    on_upload: Callable[[Upload], None] = lambda upload: None,
    progress: ProgressBars = no_progress,
) -> None:
    """Upload files: each large one with its own progress, the small ones together at once.

    A large file already goes up in concurrent parts; small files gain from being sent side by
    side, which a progress bar per file could not show.
    """
    large = [u for u in uploads if u.file.size >= LARGE_FILE]
    small = [u for u in uploads if u.file.size < LARGE_FILE]
    batches = [[u] for u in large] + ([small] if small else [])
    for batch in batches:
        for upload in batch:
            on_upload(upload)
        label = batch[0].file.key if len(batch) == 1 else f"{len(batch)} files"
        items = [
            PutItem(u.file.key, u.source, u.file.content_type, cache_control(u.file), u.file.digest)
            for u in batch
        ]
        with progress(label, sum(u.file.size for u in batch)) as advance:
            storage.put_files(items, progress=advance)


def _stat_all(uploads: Sequence[Upload], storage: Storage) -> list[ObjectInfo | None]:
    """Each upload's object as stored, asked side by side: one round trip each, overlapped."""
    if len(uploads) < 2:
        return [storage.stat(u.file.key) for u in uploads]
    # Only here: cron's runs and edits look up nothing, and importing it takes ~15 ms.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=STAT_WORKERS) as pool:
        return list(pool.map(lambda u: storage.stat(u.file.key), uploads))


def _folder(upload: Upload) -> str:
    return upload.file.key.partition("/")[0]


def _crowded_folders(uploads: Sequence[Upload]) -> set[str]:
    """The folders with many uploads: listed, rather than asked about key by key."""
    folders = Counter(_folder(u) for u in uploads)
    return {folder for folder, count in folders.items() if count >= LIST_FROM}


def not_stored(uploads: Sequence[Upload], storage: Storage) -> list[Upload]:
    """The uploads without a complete copy stored already (a killed run's): those to send.

    A folder with many uploads is listed first (one request per 1,000 keys), so that only
    the keys found there are asked about one by one; a few uploads are asked about at once.
    """
    listed = _crowded_folders(uploads)
    present = {key for folder in listed for key in storage.list_sizes(folder + "/")}
    asked = [u for u in uploads if _folder(u) not in listed or u.file.key in present]
    infos = dict(zip((u.file.key for u in asked), _stat_all(asked, storage), strict=True))
    return [
        upload
        for upload in uploads
        if (info := infos.get(upload.file.key)) is None
        or (info.size, info.digest) != (upload.file.size, upload.file.digest)
    ]


def stored_objects(uploads: Sequence[Upload], storage: Storage) -> list[ObjectInfo | None]:
    """Each upload's object as stored now: listed where a folder had many uploads.

    A listing gives sizes only, one request per 1,000 keys, where asking each key is one
    request per upload: for objects written whole (a PUT is atomic, and a key names its
    content), the size is what is left to check. A key the listing lacks is asked about
    too, in case a provider's listings lag behind its writes.
    """
    listed = _crowded_folders(uploads)
    sizes = {k: v for folder in listed for k, v in storage.list_sizes(folder + "/").items()}
    asked = [u for u in uploads if _folder(u) not in listed or u.file.key not in sizes]
    infos = dict(zip((u.file.key for u in asked), _stat_all(asked, storage), strict=True))
    for key, size in sizes.items():
        infos.setdefault(key, ObjectInfo(size, None))
    return [infos.get(u.file.key) for u in uploads]


def verify_uploads(uploads: Sequence[Upload], storage: Storage) -> None:
    """Check every object the manifest will name is stored whole: its size, and its digest
    where the storage is asked about the object itself.

    Raises:
        StorageError: an object is missing or differs from the file uploaded.
    """
    for upload, info in zip(uploads, stored_objects(uploads, storage), strict=True):
        if info is None:
            raise StorageError(f"{upload.file.key}: missing after upload; publish again")
        if info.size != upload.file.size or info.digest not in (None, upload.file.digest):
            raise StorageError(
                f"{upload.file.key}: stored {info.size} bytes (digest {info.digest}), expected "
                f"{upload.file.size} bytes (digest {upload.file.digest}); publish again"
            )
