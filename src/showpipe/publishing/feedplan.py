"""Planning the feeds: build each from the episodes it lists, compare it with the stored one,
refuse one that would drop a GUID, and read back what changed, as apps will read it.

`plan.py` runs this for every writing command; nothing here writes to the storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from slugify import slugify

from showpipe.digests import data_digest
from showpipe.errors import FeedError
from showpipe.feeds import (
    BuiltFeed,
    Descriptions,
    build_feed,
    clean_url,
    enclosure_urls,
    feed_key,
    render_items,
)
from showpipe.feeds.cache import ItemCache, KnownFeed
from showpipe.feeds.cut import Items
from showpipe.feeds.readback import (
    ExpectedItem,
    FeedItems,
    ReadBack,
    cut_read_back,
    feed_items,
    guard_guids,
    item_digest,
)
from showpipe.model.manifest import FeedRecord, Manifest, StoredFile
from showpipe.model.project import Project, artwork_present
from showpipe.model.published import NewestFirst, why_gone
from showpipe.model.show import Feed
from showpipe.parallel import WorkPool
from showpipe.publishing.assets import image_file
from showpipe.publishing.guard import keys_in_feed
from showpipe.sealed import Sealing
from showpipe.storage import Storage

# From this many episodes, a show's changed feeds are read back in parallel processes.
PARALLEL_READ_BACK_FROM = 2000
# Fewer items than this to read back (what changed in a big feed) are read at once.
READ_BACK_AT_ONCE_UNDER = 50


@dataclass(frozen=True)
class FeedUpdate:
    """A feed as it will be written, and how its items differ from the published one."""

    name: str
    key: str
    url: str
    xml: bytes
    digest: str  # of `xml`
    pieces: Items  # as the build joined it (`BuiltFeed.pieces`)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # The feed as stored before this run (None: not published yet).
    stored: KnownFeed | None = None

    @property
    def changed(self) -> bool:
        """Whether the storage holds other bytes (or none) under the feed's key."""
        return self.stored is None or self.stored.digest != self.digest


def _item_diff(old: FeedItems, new: FeedItems) -> tuple[list[str], list[str], list[str]]:
    """Titles of the items added, updated and removed between two feeds."""
    before, after = old.items, new.items
    added = [title for guid, (title, _) in after.items() if guid not in before]
    updated = [
        title for guid, (title, xml) in after.items() if guid in before and before[guid][1] != xml
    ]
    removed = [title for guid, (title, _) in before.items() if guid not in after]
    return added, updated, removed


def _feed_artwork(
    project: Project, feed: Feed, manifest: Manifest
) -> tuple[StoredFile, Path | None]:
    """The feed's artwork: from the file when present, else as last published.

    The file is read each time, since it is small (cron's runs leave no build cache
    behind), and measured only when its bytes are not those last published.
    """
    record = manifest.feeds.get(feed.name)
    if artwork_present(project, feed):
        published = record.artwork if record else None
        stored = image_file(feed.artwork, slugify(feed.name), hashes=None, published=published)
        return stored, feed.artwork
    if record is None:
        raise FeedError(f"{feed.artwork}: file not found and never published (feeds/{feed.name})")
    return record.artwork, None


def stored_feed(
    storage: Storage, key: str, items: ItemCache, *, built: BuiltFeed, digest: str
) -> KnownFeed | None:
    """The feed stored under `key` (None: none), known without reading it where the storage
    has its digest (in S3 a HEAD request, where a big show's feed is megabytes): as the item
    cache saw it built, or as this run built it again (`built`, whose bytes have `digest`;
    then kept in the cache for the next run); else read and parsed."""
    info = storage.stat(key)
    if info is None:
        return None
    if info.digest is not None:
        if known := items.feed_as_stored(key, info.digest):
            return known
        if info.digest == digest:  # unchanged, and built by another showpipe or a lost cache
            known = KnownFeed.of(digest, built.items, keys_in_feed(built.xml))
            items.remember_feed(key, known, None)
            return known
    data = storage.get(key)
    if data is None:  # removed meanwhile
        return None
    found = data_digest(data)
    items_of = built.items if found == digest else feed_items(data)  # stored without a digest
    return KnownFeed.of(found, items_of, keys_in_feed(data))


def _checked_diff(
    project: Project,
    feed: Feed,
    due: NewestFirst,
    built: BuiltFeed,
    stored: KnownFeed | None,
    *,
    digest: str,
    url: str,
    now: datetime,
    items: ItemCache,
    unpublished: set[str],
) -> tuple[tuple[list[str], list[str], list[str]], list[ReadBack], list[str]]:
    """How the feed's items change from the `stored` one, the read-backs it needs (in pieces
    for a big feed), and the digests of its items, to remember once read back; stop now if
    the feed would drop a GUID."""
    xml, after = built.xml, built.items
    if stored is not None and stored.digest == digest:
        return ([], [], []), [], []
    before = stored.items if stored else FeedItems(None, {})
    # Its keys are kept for the next run's storage guard, which then need not read it.
    items.remember_feed(feed_key(feed), KnownFeed.of(digest, after, keys_in_feed(xml)), stored)
    guard_guids(
        feed.name,
        before,
        after,
        unpublished=unpublished,
        why_gone=lambda guid, title: why_gone(project, guid, title, now),
    )
    url_of = enclosure_urls(feed, project.settings.public_url)
    expected = [
        ExpectedItem(p.guid, url_of(media), media.size)
        for p in due
        for media in [p.record.media[feed.medium_of(p.record.media) or feed.medium]]
    ]
    known = after.items
    digests = [item_digest(known[e.guid][1], e) for e in expected if e.guid in known]
    if not after.count == len(expected) == len(digests):
        return _item_diff(before, after), [ReadBack(url, xml, expected)], []  # says what is off
    # Only the items not read back right before: each is read as part of its feed.
    todo = [e for e, d in zip(expected, digests, strict=True) if not items.read_back_before(d)]
    if not todo:
        return _item_diff(before, after), [], digests
    checks = cut_read_back(url, xml, built.pieces, expected, todo)
    return _item_diff(before, after), checks, digests


def _listed(
    project: Project, manifest: Manifest, due_all: NewestFirst
) -> tuple[list[tuple[Feed, NewestFirst, StoredFile]], list[tuple[StoredFile, Path]], Manifest]:
    """Each feed with the episodes it lists and its artwork; the artwork files to upload;
    the manifest with each feed's artwork recorded."""
    listed, files = [], []
    for feed in project.feeds:
        artwork, artwork_path = _feed_artwork(project, feed, manifest)
        if artwork_path is not None:
            files.append((artwork, artwork_path))
        manifest = replace(manifest, feeds={**manifest.feeds, feed.name: FeedRecord(artwork)})
        due = NewestFirst([p for p in due_all if feed.medium_of(p.record.media)])
        listed.append((feed, due, artwork))
    return listed, files, manifest


def plan_feeds(
    project: Project,
    storage: Storage,
    manifest: Manifest,
    *,
    due_all: NewestFirst,
    now: datetime,
    descriptions: Descriptions,
    items: ItemCache | None = None,
) -> tuple[list[FeedUpdate], list[tuple[StoredFile, Path]], Manifest]:
    """Build every feed from the manifest and its episodes due at `now` (`due_all`, as
    `due_episodes` gives them); return the feeds, the feed artwork, and the manifest.

    The planning's item cache (`.showpipe/cache/`; `items`, else opened here) gives the
    items whose inputs did not change and the items read back right before; it and the
    project's episode cache are saved once every feed is built and read back.
    """
    updates, read = [], []
    if items is None:
        known = project.cache.describe if project.cache else None
        records = project.manifests.describe_record if project.manifests else None
        items = ItemCache.of(project.settings, describe=known, describe_record=records)
    listed, files, manifest = _listed(project, manifest, due_all)
    public_url = project.settings.public_url
    # What the item cache lacks in each feed, rendered on every core for a big show.
    ahead = render_items(listed, public_url=public_url, descriptions=descriptions, items=items)
    unpublished = {e.guid for e in project.episodes if e.guid and e.unpublished}
    # Feeds are read back beside the build (podcastparser is pure Python, about 0.15 ms an
    # item): on a big show, pieces of them in worker processes while the next feed is built,
    # the main process reading once every feed is built the pieces no worker has started;
    # else by the main process once every feed is built.
    parallel = len(project.episodes) >= PARALLEL_READ_BACK_FROM
    with WorkPool[None](processes=parallel) as pool:
        for feed, due, artwork in listed:
            built = build_feed(
                feed,
                due,
                artwork=artwork,
                public_url=public_url,
                descriptions=descriptions,
                items=items,
                ahead=ahead.get(feed.name),
            )
            key, xml = feed_key(feed), built.xml
            url = clean_url(public_url) + key  # as the feed's self link gives it
            digest = data_digest(xml)
            stored = stored_feed(storage, key, items, built=built, digest=digest)
            (added, updated, removed), checks, digests = _checked_diff(
                project,
                feed,
                due,
                built,
                stored,
                digest=digest,
                url=url,
                now=now,
                items=items,
                unpublished=unpublished,
            )
            read += digests
            for check in checks:
                if len(checks) == 1 and len(check.expected) < READ_BACK_AT_ONCE_UNDER:
                    check.run()  # a few items: at once
                else:
                    pool.submit(check.run)
            updates.append(
                FeedUpdate(
                    feed.name,
                    key,
                    url,
                    xml,
                    digest,
                    built.pieces,
                    added,
                    updated,
                    removed,
                    stored,
                )
            )
        # The episodes and the manifest do not depend on the read-back: their caches are
        # pickled while other cores read the feeds back, and written once they read back.
        sealing = Sealing()
        for cache in (project.cache, project.manifests):
            if cache is not None:
                cache.seal(sealing)
        for _ in pool.results():  # FeedError: a feed reads back wrong, and nothing is stored
            pass
    # Every feed built and read back right: what this run validated and rendered is kept.
    items.keep_read_back(read)
    items.seal(sealing)
    sealing.write()
    return updates, files, manifest
