"""Publishing: compute a plan from the project, the storage's manifest and the clock; then run it.

Nothing changes while planning, so `--dry-run` is the plan printed, and a bad input stops
everything before the first write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from slugify import slugify

from showpipe.errors import EpisodeError, FeedError
from showpipe.feeds import (
    BuiltFeed,
    Descriptions,
    build_feed,
    clean_url,
    enclosure_urls,
    feed_key,
    item_guid,
    render_items,
)
from showpipe.feeds.cache import ItemCache
from showpipe.feeds.cut import partial_feed
from showpipe.feeds.readback import (
    ExpectedItem,
    FeedItems,
    ReadBack,
    ReadBackPool,
    cut_read_back,
    feed_items,
    guard_guids,
    item_digest,
)
from showpipe.model.manifest import (
    MANIFEST_KEY,
    FeedRecord,
    Manifest,
    StoredFile,
    encode_manifest,
    read_manifest_versioned,
)
from showpipe.model.project import Project, artwork_present, missing_files
from showpipe.model.published import NewestFirst, due_episodes, why_gone
from showpipe.model.show import Feed
from showpipe.model.yamlfile import set_key
from showpipe.publishing.assets import describe_episode, image_file
from showpipe.publishing.guard import check_named_objects, named_files
from showpipe.publishing.imported import record_imported
from showpipe.publishing.uploads import Upload, not_stored, upload_files, verify_uploads
from showpipe.storage import ProgressBars, Storage, caching, no_progress

if TYPE_CHECKING:
    from showpipe.media import BuildCache
    from showpipe.media.levels import LevelReport

log = logging.getLogger(__name__)

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
    changed: bool
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # The feed as stored before this run (None: not published yet).
    published: bytes | None = None


@dataclass(frozen=True)
class YamlWrite:
    """One value written into a YAML file of the project (comments and layout kept)."""

    path: Path
    key: str
    value: str | bool


@dataclass(frozen=True)
class Plan:
    """Everything a run will do, in order: YAML values, uploads, manifest, feeds, deletions."""

    yaml_writes: list[YamlWrite]
    uploads: list[Upload]
    manifest: Manifest
    manifest_changed: bool
    feeds: list[FeedUpdate]
    # The project as the run leaves it: new GUIDs assigned, taken-down episodes marked.
    project: Project
    # The stored manifest's version when planned: it is replaced only if still that one.
    manifest_version: str | None = None
    # The episodes the feeds list, newest first (None: a plan that builds no feed).
    due: NewestFirst | None = None
    # Objects no feed names any more, deleted last (`unpublish --delete-media`).
    deletions: list[str] = field(default_factory=list)
    # The loudness of each master encoded (or reused) for the plan, and the gain applied.
    levels: list[LevelReport] = field(default_factory=list)

    @cached_property
    def manifest_bytes(self) -> bytes:
        """The manifest as the run stores it (encoded once for the write and the record)."""
        return encode_manifest(self.manifest)

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.yaml_writes
            or self.deletions
            or any(u.needed for u in self.uploads)
            or self.manifest_changed
            or any(f.changed for f in self.feeds)
        )


def new_guid() -> str:
    return str(uuid.uuid4())


def _uploads(files: Sequence[tuple[StoredFile, Path]], manifest: Manifest) -> list[Upload]:
    known = manifest.stored_keys()
    uploads: dict[str, Upload] = {}
    for stored, path in files:
        needed = known.get(stored.key) != stored
        uploads[stored.key] = Upload(stored, path, needed)
    return list(uploads.values())


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


def _checked_diff(
    project: Project,
    feed: Feed,
    due: NewestFirst,
    built: BuiltFeed,
    old: bytes | None,
    *,
    now: datetime,
    items: ItemCache,
) -> tuple[tuple[list[str], list[str], list[str]], list[ReadBack], list[str]]:
    """How the feed's items change, the read-backs it needs (in pieces for a big feed), and
    the digests of its items, to remember once read back; stop now if the feed would drop a
    GUID."""
    xml, after = built.xml, built.items
    if old == xml:
        return ([], [], []), [], []
    # The stored feed is most often the one built last time: its items are known then.
    before = items.feed_as_stored(feed_key(feed), old) or feed_items(old)
    items.remember_feed(feed_key(feed), xml, after)
    unpublished = {item_guid(e.guid) for e in project.episodes if e.guid and e.unpublished}
    guard_guids(
        feed.name,
        before,
        after,
        unpublished=unpublished,
        why_gone=lambda guid, title: why_gone(project, guid, title, now),
    )
    url_of = enclosure_urls(feed, project.settings.public_url)
    expected = [
        ExpectedItem(item_guid(p.guid), url_of(media), media.size)
        for p in due
        for media in [p.record.media[feed.medium_of(p.record.media) or feed.medium]]
    ]
    url = clean_url(project.settings.public_url) + feed_key(feed)
    known = after.items
    digests = [item_digest(known[e.guid][1], e) for e in expected if e.guid in known]
    if not after.count == len(expected) == len(digests):
        return _item_diff(before, after), [ReadBack(url, xml, expected)], []  # says what is off
    # Only the items not read back right before: each is read as part of its feed.
    todo = [e for e, d in zip(expected, digests, strict=True) if not items.read_back_before(d)]
    if not todo:
        return _item_diff(before, after), [], digests
    if len(todo) < len(expected):
        xml = partial_feed(xml, [after.xml[e.guid] for e in todo])
    return _item_diff(before, after), cut_read_back(ReadBack(url, xml, todo), after.xml), digests


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
    parallel = len(project.episodes) >= PARALLEL_READ_BACK_FROM
    with ReadBackPool(parallel=parallel) as pool:
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
            old = storage.get(key)
            (added, updated, removed), checks, digests = _checked_diff(
                project, feed, due, built, old, now=now, items=items
            )
            read += digests
            for check in checks:
                if len(checks) == 1 and len(check.expected) < READ_BACK_AT_ONCE_UNDER:
                    check.run()  # a few items: at once
                else:
                    pool.submit(check)
            updates.append(
                FeedUpdate(
                    feed.name, key, public_url + key, xml, old != xml, added, updated, removed, old
                )
            )
        pool.finish()  # FeedError: a feed reads back wrong, and nothing is stored
    # Every feed built and read back right: what this run validated and rendered is kept.
    items.keep_read_back(read)
    items.save()
    for cache in (project.cache, project.manifests):
        if cache is not None:
            cache.save()
    return updates, files, manifest


def plan_publish(
    project: Project,
    storage: Storage,
    episode_files: Sequence[Path],
    *,
    now: datetime,
    make_guid: Callable[[], str] = new_guid,
    id3_version: int = 4,
    cache: BuildCache | None = None,
    descriptions: Descriptions | None = None,
) -> Plan:
    """Plan publishing the given episodes and regenerating every feed.

    Tagged copies of the media are made (or reused) in the build cache on the way: their
    sizes and hashes are part of the plan. Nothing is uploaded or changed in the project.
    A run passes its `cache` and `descriptions` to each plan it makes (default: new ones).

    Raises:
        EpisodeError: an episode is not part of the project or names missing files.
        MediaError: a media or image file is invalid.
    """
    # Here, not at the top: cron's runs and edits plan feeds only, and need no tagging code.
    from showpipe.media import BuildCache
    from showpipe.media.episodes import check_episode, tag_episode
    from showpipe.media.levels import report_encoded

    cache = cache or BuildCache(project.settings.cache_dir)
    chosen = [project.episode_at(path) for path in episode_files]
    missing = missing_files(project, chosen)
    if missing:
        raise EpisodeError("\n".join(missing))
    # Every episode is checked before the first tagged copy is written.
    checked = {e.source: check_episode(project, e, hashes=cache.hashes) for e in chosen}
    old_manifest, version = read_manifest_versioned(storage, memo=project.manifests)
    records = dict(old_manifest.episodes)
    guids: dict[Path, str] = {}
    files: list[tuple[StoredFile, Path]] = []
    levels: list[LevelReport] = []
    episodes = {str(e.source): e for e in project.episodes}  # text: cheaper to hash
    for episode in chosen:
        if episode.guid is None:
            guids[episode.source] = make_guid()
            episode = episode.model_copy(update={"guid": guids[episode.source]})
            episodes[str(episode.source)] = episode
        assert episode.guid is not None  # given above when it had none
        media = checked[episode.source]
        tagged = tag_episode(project, episode, media, cache=cache, id3_version=id3_version)
        levels += [report_encoded(t.encoded) for t in tagged if t.encoded]
        record, episode_files_ = describe_episode(
            episode,
            tagged,
            project.settings,
            hashes=cache.hashes,
            published=old_manifest.episodes.get(episode.guid or ""),
        )
        files += episode_files_
        records[episode.guid] = record
    cache.hashes.save()
    manifest = replace(old_manifest, episodes=records)
    project = replace(project, episodes=list(episodes.values()))
    _check_shared_keys(project, manifest)
    writes = [YamlWrite(path, "guid", guid) for path, guid in sorted(guids.items())]
    text = descriptions or Descriptions()
    plan = _plan(project, storage, old_manifest, manifest, files, writes, now=now, text=text)
    return replace(plan, manifest_version=version, levels=levels)


def _check_shared_keys(project: Project, manifest: Manifest) -> None:
    """Refuse two episodes whose files map to one object key (names that slugify alike).

    Raises:
        EpisodeError: naming both YAML files and the key.
    """
    files = {e.guid: e.source for e in project.episodes if e.guid}
    owners: dict[str, str] = {}
    for guid, record in manifest.episodes.items():
        for key in {file.key for file in record.files() if file.key}:
            other = owners.setdefault(key, guid)
            if other != guid and guid in files and other in files:
                raise EpisodeError(
                    f"{files[guid]}: its file {key} is also {files[other]}'s object; two "
                    "episodes whose names differ only in case or punctuation share keys: "
                    "rename one YAML file"
                )


def plan_feeds_only(
    project: Project,
    storage: Storage,
    *,
    now: datetime,
    descriptions: Descriptions | None = None,
    stored: tuple[Manifest, str | None] | None = None,
) -> Plan:
    """Plan regenerating every feed (cron's job): no media needed, only the manifest
    (`stored`: as the caller read it already with `read_manifest_versioned`)."""
    manifest, version = stored or read_manifest_versioned(storage, memo=project.manifests)
    # An imported show's episodes whose media stays on the old host need no publish first.
    with_imported, files = record_imported(project, manifest)
    text = descriptions or Descriptions()
    plan = _plan(project, storage, manifest, with_imported, files, [], now=now, text=text)
    return replace(plan, manifest_version=version)


def plan_pages_only(project: Project, storage: Storage) -> Plan:
    """A plan that changes nothing but lets a run build the show's pages (`showpipe site`)."""
    manifest, version = read_manifest_versioned(storage, memo=project.manifests)
    return Plan([], [], manifest, False, [], project, manifest_version=version)


def _plan(
    project: Project,
    storage: Storage,
    old_manifest: Manifest,
    manifest: Manifest,
    files: list[tuple[StoredFile, Path]],
    writes: list[YamlWrite],
    *,
    now: datetime,
    text: Descriptions,
) -> Plan:
    # The feeds change only the manifest's feed records, never its episodes: due once.
    due = due_episodes(project, manifest, now)
    feeds, artwork_files, manifest = plan_feeds(
        project, storage, manifest, due_all=due, now=now, descriptions=text
    )
    uploads = _uploads(files + artwork_files, old_manifest)
    if any(feed.changed for feed in feeds):
        named = named_files(due, manifest, project)
        check_named_objects(named, uploads, storage, published=[f.published for f in feeds])
    return Plan(
        yaml_writes=writes,
        uploads=uploads,
        manifest=manifest,
        manifest_changed=manifest != old_manifest,
        feeds=feeds,
        project=project,
        due=due,
    )


def plan_is_current(plan: Plan, storage: Storage) -> bool:
    """Whether the stored manifest is still the one the plan was built from."""
    found = storage.get_versioned(MANIFEST_KEY)
    return (found[1] if found else None) == plan.manifest_version


def run_plan(
    plan: Plan,
    storage: Storage,
    *,
    on_upload: Callable[[Upload], None] = lambda upload: None,
    progress: ProgressBars = no_progress,
    before_recording: Callable[[], None] = lambda: None,
) -> list[Upload]:
    """Carry out a plan: values into the YAML, uploads, verification, the manifest, the feeds,
    and last the objects no feed names any more. Returns the uploads sent: those a killed
    run had stored whole already are not.

    `before_recording` runs between the verification and the manifest: the lease's check
    that this run still holds the storage after a long upload.

    Feeds go last so that no feed ever points at an object that is not stored whole. The
    manifest is replaced only if no other run replaced it since planning (a conditional
    write); a killed run's objects are found complete and not sent again.
    `progress(label, total_bytes)` gives a context whose value is called with bytes sent.
    """
    for write in plan.yaml_writes:
        set_key(write.path, write.key, write.value)
        log.info("wrote %s: %s into %s", write.key, write.value, write.path)
    # Those found whole were just checked (size and digest); what is sent is checked after.
    needed = not_stored([u for u in plan.uploads if u.needed], storage)
    upload_files(needed, storage, on_upload=on_upload, progress=progress)
    verify_uploads(needed, storage)
    before_recording()
    if plan.manifest_changed:
        storage.put_bytes_if(
            MANIFEST_KEY,
            plan.manifest_bytes,
            version=plan.manifest_version,
            content_type="application/json",
            cache_control=caching.RECORD,
        )
        if plan.project.manifests is not None:  # the next run need not parse it
            plan.project.manifests.stored(plan.manifest_bytes, plan.manifest)
            plan.project.manifests.save()
    for feed in plan.feeds:
        if feed.changed:
            storage.put_bytes(
                feed.key,
                feed.xml,
                content_type="application/rss+xml",
                cache_control=caching.CHANGING,
            )
    for key in plan.deletions:
        storage.delete(key)
    return needed
