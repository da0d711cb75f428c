"""Episodes as they go out: an episode's metadata beside what was published of it.

Feeds and pages list the same episodes in the same order; both take them from `due_episodes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NewType

from showpipe.model.episode import Episode
from showpipe.model.manifest import EpisodeRecord, Manifest
from showpipe.model.project import Project


@dataclass(frozen=True)
class PublishedEpisode:
    """An episode as it goes into a feed: its metadata and what was published of it."""

    episode: Episode
    record: EpisodeRecord

    @cached_property  # read for every item of every feed and page
    def guid(self) -> str:
        assert self.episode.guid is not None, "published episodes always have a GUID"
        return self.episode.guid


# Episodes newest first, the order a feed lists them in. Only `newest_first` makes one, so
# whoever takes one lists it as it is: sorted once.
NewestFirst = NewType("NewestFirst", list[PublishedEpisode])


def newest_first(episodes: Iterable[PublishedEpisode]) -> NewestFirst:
    """The episodes newest first; ties broken by GUID so the order never depends on file
    listing order."""
    return NewestFirst(sorted(episodes, key=_newest_first_key, reverse=True))


def _newest_first_key(published: PublishedEpisode) -> tuple[datetime, str]:
    episode = published.episode
    return episode.published, episode.guid or ""  # a published episode has its GUID


def due_episodes(project: Project, manifest: Manifest, now: datetime) -> NewestFirst:
    """Episodes published, not taken down, and due at `now`, newest first: the order of the
    feeds and the show page."""
    due = []
    for episode in project.episodes:
        record = manifest.episodes.get(episode.guid or "")
        if record and episode.published <= now and not episode.unpublished:
            due.append(PublishedEpisode(episode, record))
    return newest_first(due)


def why_gone(project: Project, guid: str, title: str, now: datetime) -> str:
    """Why an episode a live feed lists would leave it, and what to do: the GUID guard's
    message names the real cause, not the likeliest one."""
    owner = next((e for e in project.episodes if e.guid == guid), None)
    if owner is not None and owner.published > now:
        return (
            f"{owner.source.name}'s `published` time ({owner.published.isoformat()}) is after "
            f"{now.isoformat()}: set it back to when the episode went out"
        )
    if owner is not None:
        return f"{owner.source.name} has it, but the storage's manifest does not"
    renamed = [e for e in project.episodes if e.title == title and e.guid != guid]
    if renamed:
        return f"{renamed[0].source.name} now has GUID {renamed[0].guid}: restore `guid: {guid}`"
    return (
        "no episode YAML in this checkout has this GUID: pull the latest episodes "
        "(e.g. `git pull`) before publishing"
    )


def scheduled_episodes(
    episodes: Iterable[Episode], manifest: Manifest, now: datetime
) -> list[PublishedEpisode]:
    """The `episodes` published to the storage that join their feeds after `now`, soonest
    first."""
    later = [
        PublishedEpisode(e, manifest.episodes[e.guid])
        for e in episodes
        if e.guid in manifest.episodes and e.published > now and not e.unpublished
    ]
    return sorted(later, key=lambda p: (p.episode.published, p.guid))
