"""Episodes an import left on the old host, listed in the feeds without a publish first.

Such an episode has nothing to tag or upload except its images and generated chapters, so
`showpipe feeds` (and `check`) record it the way `publish` would: right after an import the
feed lists every imported item, never none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from showpipe.errors import FeedError, shown
from showpipe.media.hashes import HashCache
from showpipe.model.episode import Episode
from showpipe.model.manifest import Manifest, StoredFile
from showpipe.model.project import Project
from showpipe.publishing.assets import describe_episode


def kept_on_old_host(episode: Episode) -> bool:
    """Whether all of an episode's media is remote (an import's), and it has its GUID."""
    has_remote = episode.remote_audio is not None or episode.remote_video is not None
    return bool(episode.guid) and has_remote and not (episode.audio or episode.video)


def record_imported(
    project: Project, manifest: Manifest
) -> tuple[Manifest, list[tuple[StoredFile, Path]]]:
    """The manifest with a record for each never-published episode kept on the old host,
    and the files (images, chapters) those records name, to upload."""
    records, files = dict(manifest.episodes), []
    todo = [e for e in project.episodes if e.guid not in records and kept_on_old_host(e)]
    if not todo:
        return manifest, []
    hashes = HashCache(project.settings.cache_dir)  # one for all: saved once, not per episode
    for episode in todo:
        record, episode_files = describe_episode(episode, [], project.settings, hashes=hashes)
        assert episode.guid is not None
        records[episode.guid] = record
        files += episode_files
    hashes.save()
    return replace(manifest, episodes=records), files


def refuse_never_published(project: Project, manifest: Manifest, *, now: datetime) -> None:
    """`showpipe feeds` refuses to write empty feeds for a show never published at all while
    it has due episodes (an import with --download, say), and says what to run instead.

    Raises:
        FeedError: naming one such episode and the command to run.
    """
    if manifest.episodes:
        return
    never = [e for e in project.episodes if e.published <= now and not e.unpublished]
    if never:
        raise FeedError(
            f"the feeds would list no episode: none of the show's {len(never)} due "
            f"episode(s) was ever published (first: {shown(never[0].source)}); "
            "run showpipe publish episodes/*.yaml"
        )
