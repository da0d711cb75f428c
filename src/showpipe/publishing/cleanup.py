"""Taking an episode down (`showpipe unpublish`) and finding leftovers (`showpipe storage gc`).

Both follow publishing's order: the feeds stop naming an object before it is deleted, so a
run killed halfway leaves at worst an unreferenced object, which `gc` lists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from showpipe.errors import EpisodeError
from showpipe.feeds import Descriptions
from showpipe.model.manifest import Manifest, read_manifest
from showpipe.model.project import Project
from showpipe.publishing.plan import Plan, YamlWrite, plan_feeds_only
from showpipe.storage import Incomplete, Storage

# Where publishing stores content-addressed objects; the feeds, the manifest and the lease
# (feeds/, showpipe/) are never garbage.
CONTENT_FOLDERS = ("media/", "art/", "chapters/", "transcripts/")


def plan_unpublish(
    project: Project,
    storage: Storage,
    path: Path,
    *,
    now: datetime,
    delete_media: bool,
    descriptions: Descriptions | None = None,
) -> Plan:
    """Plan taking the episode at `path` out of every feed; with `delete_media`, its files too.

    The plan marks the YAML `unpublished: true`, writes the feeds, and only then deletes the
    files, so no feed ever names a deleted object.

    Raises:
        EpisodeError: the file is not an episode of the project, or was never published.
    """
    episode = project.episode_at(path)
    manifest = read_manifest(storage)
    if not episode.guid or episode.guid not in manifest.episodes:
        raise EpisodeError(f"{path}: never published (no GUID in the storage's manifest)")
    down = episode.model_copy(update={"unpublished": True})
    episodes = [down if e.source == episode.source else e for e in project.episodes]
    changed = replace(project, episodes=episodes)
    plan = plan_feeds_only(changed, storage, now=now, descriptions=descriptions)
    plan = replace(plan, yaml_writes=[YamlWrite(episode.source, "unpublished", True)])
    if not delete_media:
        return plan
    kept = replace(plan.manifest, episodes=dict(plan.manifest.episodes))
    record = kept.episodes.pop(episode.guid)
    only_ours = set(Manifest(episodes={episode.guid: record}).stored_keys())
    delete = sorted(only_ours - set(kept.stored_keys()))
    return replace(plan, manifest=kept, manifest_changed=True, deletions=delete)


@dataclass(frozen=True)
class Leftovers:
    """What `gc` found: objects no episode or feed references, and unfinished uploads."""

    unreferenced: list[str]
    incomplete: list[Incomplete]


def find_leftovers(storage: Storage, *, now: datetime, older_than: timedelta) -> Leftovers:
    """Objects in the content folders the manifest does not name, and uploads started more
    than `older_than` ago and never finished (younger ones may belong to a running publish)."""
    known = read_manifest(storage).stored_keys()
    unreferenced = [
        key for folder in CONTENT_FOLDERS for key in storage.list_sizes(folder) if key not in known
    ]
    incomplete = [u for u in storage.incomplete_uploads() if u.started <= now - older_than]
    return Leftovers(unreferenced, incomplete)


def remove_leftovers(leftovers: Leftovers, storage: Storage) -> None:
    for upload in leftovers.incomplete:
        storage.abort_upload(upload)
    for key in leftovers.unreferenced:
        storage.delete(key)
