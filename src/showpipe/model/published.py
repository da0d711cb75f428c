"""Episodes as they go out: an episode's metadata beside what was published of it.

Feeds and pages list the same episodes in the same order; both take them from `due_episodes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NewType

from showpipe.model.manifest import EpisodeRecord, Manifest
from showpipe.model.project import Project
from showpipe.model.show import Episode


@dataclass(frozen=True)
class PublishedEpisode:
    """An episode as it goes into a feed: its metadata and what was published of it."""

    episode: Episode
    record: EpisodeRecord

    @property
    def guid(self) -> str:
        assert self.episode.guid is not None, "published episodes always have a GUID"
        return self.episode.guid


# Episodes newest first, the order a feed lists them in. Only `newest_first` makes one, so
# whoever takes one lists it as it is: sorted once.
NewestFirst = NewType("NewestFirst", list[PublishedEpisode])


def newest_first(episodes: Iterable[PublishedEpisode]) -> NewestFirst:
    """The episodes newest first; ties broken by GUID so the order never depends on file
    listing order."""
    return NewestFirst(sorted(episodes, key=lambda p: (p.episode.published, p.guid), reverse=True))


def due_episodes(project: Project, manifest: Manifest, now: datetime) -> NewestFirst:
    """Episodes published, not taken down, and due at `now`, newest first: the order of the
    feeds and the show page."""
    due = []
    for episode in project.episodes:
        record = manifest.episodes.get(episode.guid or "")
        if record and episode.published <= now and not episode.unpublished:
            due.append(PublishedEpisode(episode, record))
    return newest_first(due)
