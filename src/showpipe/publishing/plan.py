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

from showpipe.errors import EpisodeError
from showpipe.feeds import Descriptions
from showpipe.model.manifest import (
    MANIFEST_KEY,
    Manifest,
    StoredFile,
    encode_manifest,
    read_manifest_versioned,
)
from showpipe.model.project import Project, missing_files
from showpipe.model.published import NewestFirst, due_episodes
from showpipe.model.yamlfile import set_key
from showpipe.publishing.assets import describe_episode
from showpipe.publishing.feedplan import FeedUpdate, plan_feeds
from showpipe.publishing.guard import check_named_objects, named_files
from showpipe.publishing.imported import record_imported
from showpipe.publishing.uploads import Upload, not_stored, upload_files, verify_uploads
from showpipe.storage import ProgressBars, Storage, caching, no_progress

if TYPE_CHECKING:
    from showpipe.media import BuildCache
    from showpipe.media.levels import LevelReport

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Ran:
    """What carrying out a plan did: the files sent (those a killed run had stored whole
    already were not), and the manifest's version as the run leaves the storage."""

    uploaded: list[Upload]
    manifest_version: str | None


def new_guid() -> str:
    return str(uuid.uuid4())


def _uploads(files: Sequence[tuple[StoredFile, Path]], manifest: Manifest) -> list[Upload]:
    known = manifest.stored_keys()
    uploads: dict[str, Upload] = {}
    for stored, path in files:
        needed = known.get(stored.key) != stored
        uploads[stored.key] = Upload(stored, path, needed)
    return list(uploads.values())


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
    stored: tuple[Manifest, str | None] | None = None,
) -> Plan:
    """Plan publishing the given episodes and regenerating every feed.

    Tagged copies of the media are made (or reused) in the build cache on the way: their
    sizes and hashes are part of the plan. Nothing is uploaded or changed in the project.
    A run passes its `cache` and `descriptions` to each plan it makes (default: new ones),
    and `stored`, the manifest as it read it already with `read_manifest_versioned`.

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
    old_manifest, version = stored or read_manifest_versioned(storage, memo=project.manifests)
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
        before = frozenset().union(*(feed.stored.named() for feed in feeds if feed.stored))
        check_named_objects(named, uploads, storage, named_before=before)
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
    return storage.version(MANIFEST_KEY) == plan.manifest_version


def run_plan(
    plan: Plan,
    storage: Storage,
    *,
    on_upload: Callable[[Upload], None] = lambda upload: None,
    progress: ProgressBars = no_progress,
    before_recording: Callable[[], None] = lambda: None,
) -> Ran:
    """Carry out a plan: values into the YAML, uploads, verification, the manifest, the feeds,
    and last the objects no feed names any more.

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
    version = plan.manifest_version
    if plan.manifest_changed:
        version = storage.put_bytes_if(
            MANIFEST_KEY,
            plan.manifest_bytes,
            version=plan.manifest_version,
            content_type="application/json",
            cache_control=caching.RECORD,
        )
        if plan.project.manifests is not None:  # the next run need not parse it
            plan.project.manifests.stored(version, plan.manifest)
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
    return Ran(needed, version)
