"""No feed or page may name an object the storage does not hold.

The manifest says what was published; the storage is what listeners fetch. If they
disagree (a manifest restored from an old backup, an object deleted by hand or by a
lifecycle rule, a tampered manifest), a feed built from the manifest would publish an
enclosure that 404s. Before any feed changes, each object the feeds and pages will name is
looked for: the files this run uploads are checked after uploading (uploads.py), the
others here, with one listing per crowded folder and a HEAD for the rest, as uploads.py
checks uploads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from showpipe.errors import StorageError, shown
from showpipe.feeds import PublishedEpisode
from showpipe.model.manifest import MANIFEST_KEY, Manifest, StoredFile, record_files
from showpipe.model.project import Project
from showpipe.publishing.uploads import Upload, stored_objects
from showpipe.storage import Storage


def named_files(
    due: Iterable[PublishedEpisode], manifest: Manifest, project: Project
) -> dict[str, tuple[str, StoredFile]]:
    """Every stored object the feeds and pages name, by key, with who names it."""
    named: dict[str, tuple[str, StoredFile]] = {}
    for feed in project.feeds:
        record = manifest.feeds.get(feed.name)
        if record is not None and record.artwork.key:
            named[record.artwork.key] = (f"feeds.{feed.name}.artwork", record.artwork)
    for published in due:
        guid = published.episode.guid
        for label, file in record_files(published.record):
            if file.key:
                source = shown(published.episode.source)
                named[file.key] = (f"episodes.{guid}.{label} ({source})", file)
    return named


def check_named_objects(
    named: dict[str, tuple[str, StoredFile]], uploads: Sequence[Upload], storage: Storage
) -> None:
    """Refuse to publish feeds that name an object the storage lacks or holds cut short.

    The files this run will upload are left out: they are checked once uploaded.

    Raises:
        StorageError: naming the manifest entry, the key, and what to do.
    """
    sent = {u.file.key for u in uploads if u.needed}
    wanted = [Upload(file, Path(), True) for key, (_, file) in named.items() if key not in sent]
    found = stored_objects(wanted, storage)
    for upload, info in zip(wanted, found, strict=True):
        if info is None or info.size != upload.file.size:
            where, file = named[upload.file.key]
            state = "missing" if info is None else f"{info.size} bytes, not {file.size}"
            raise StorageError(
                f"{storage.describe()}/{MANIFEST_KEY}: {where}.key: {file.key} is {state} in "
                "the storage, so a feed would name a file listeners cannot fetch; publish that "
                "episode again (it uploads its files), or restore the object"
            )
