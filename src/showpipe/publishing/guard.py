"""No feed or page may name an object the storage does not hold.

The manifest says what was published; the storage is what listeners fetch. If they
disagree (a manifest restored from an old backup, an object deleted by hand or by a
lifecycle rule, a tampered manifest), a feed built from the manifest would publish an
enclosure that 404s. Before a feed changes, each object it will name for the first time is
looked for: the files this run uploads are checked after uploading (uploads.py), the
others here, with one listing per crowded folder and a HEAD for the rest, as uploads.py
checks uploads. Objects the published feeds name already are not looked up again, so cron's
run after one episode changed costs no request per episode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from showpipe.errors import StorageError, shown
from showpipe.model.manifest import FOLDERS, MANIFEST_KEY, Manifest, StoredFile
from showpipe.model.project import Project
from showpipe.model.published import PublishedEpisode
from showpipe.publishing.uploads import Upload, stored_objects
from showpipe.storage import Storage

# Object keys as they appear in a feed's URLs, after a slash (keys are URL-safe: no escaping
# to undo). The leading slash is a literal the regex engine scans for, ten times faster than
# trying the alternation at every byte of a big feed.
_KEY_IN_FEED = re.compile(rb"/((?:" + "|".join(FOLDERS).encode() + rb")/[a-z0-9.-]+)")


# The local file of an object looked for: none, only its key and size are compared.
_NOWHERE = Path()


class Named(NamedTuple):  # a tuple: one is made per stored object of a big show, each run
    """A stored object a feed or page names, and what names it: a feed's artwork, or an
    episode (its record in the manifest)."""

    file: StoredFile
    feed: str | None = None
    episode: PublishedEpisode | None = None

    @property
    def entry(self) -> str:
        """Where the manifest names it, e.g. "episodes.<guid>.media.audio"."""
        if self.episode is None:
            return f"feeds.{self.feed}.artwork"
        return f"episodes.{self.episode.guid}.{self.episode.record.where(self.file)}"

    @property
    def source(self) -> Path | None:
        """The YAML file of the episode that names it."""
        return self.episode.episode.source if self.episode else None


def named_files(
    due: Iterable[PublishedEpisode], manifest: Manifest, project: Project
) -> dict[str, Named]:
    """Every stored object the feeds and pages name, by key."""
    named: dict[str, Named] = {}
    for feed in project.feeds:
        record = manifest.feeds.get(feed.name)
        if record is not None and record.artwork.key:
            named[record.artwork.key] = Named(record.artwork, feed=feed.name)
    for published in due:
        for file in published.record.files():
            if file.key:
                named[file.key] = Named(file, episode=published)
    return named


def keys_in_feed(xml: bytes) -> list[str]:
    """The object keys a feed names, each once, in the order it first names them."""
    return [m.decode() for m in dict.fromkeys(_KEY_IN_FEED.findall(xml))]


def check_named_objects(
    named: dict[str, Named],
    uploads: Sequence[Upload],
    storage: Storage,
    *,
    named_before: Iterable[str] = (),
) -> None:
    """Refuse to publish feeds that name an object the storage lacks or holds cut short.

    The files this run will upload are left out (they are checked once uploaded), and so
    are the objects the published feeds name already (`named_before`).

    Raises:
        StorageError: naming the manifest entry, the key, and what to do.
    """
    skip = {u.file.key for u in uploads if u.needed}.union(named_before)
    wanted = [Upload(n.file, _NOWHERE, True) for key, n in named.items() if key not in skip]
    for upload, info in zip(wanted, stored_objects(wanted, storage), strict=True):
        if info is None or info.size != upload.file.size:
            found = named[upload.file.key]
            entry = found.entry + (f" ({shown(found.source)})" if found.source else "")
            state = "missing" if info is None else f"{info.size} bytes, not {found.file.size},"
            raise StorageError(
                f"{storage.describe()}/{MANIFEST_KEY}: {entry}.key: {found.file.key} is "
                f"{state} in the storage, so a feed would name a file listeners cannot fetch; "
                "publish that episode again (it uploads its files), or restore the object"
            )
