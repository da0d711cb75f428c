"""The whole project at once: every feed and episode, validated together."""

from __future__ import annotations

import os
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from showpipe.config import Settings
from showpipe.errors import EpisodeError, ValidationError, shown
from showpipe.inputfiles import (
    MAX_IMAGE_BYTES,
    MAX_MEDIA_BYTES,
    MAX_TRANSCRIPT_BYTES,
    SeenFile,
    UnsafeFile,
    check_file,
    yaml_files,
)
from showpipe.model.cache import EpisodeCache, ManifestMemo
from showpipe.model.episode import Episode
from showpipe.model.loading import load_feed
from showpipe.model.show import Feed
from showpipe.model.yamlfile import line_in_file


@dataclass(frozen=True)
class Project:
    settings: Settings
    feeds: list[Feed]
    episodes: list[Episode]
    # The run's episode cache, saved once the run has planned its feeds without a problem.
    cache: EpisodeCache | None = field(default=None, compare=False, repr=False)
    # The run's memo of the parsed manifest, saved with it.
    manifests: ManifestMemo | None = field(default=None, compare=False, repr=False)

    @cached_property
    def _by_source(self) -> dict[str, Episode]:
        # Publishing a whole show asks for every episode: a scan each would be quadratic.
        # Keyed by text: hashing thousands of `Path`s costs several times more.
        return {str(episode.source): episode for episode in self.episodes}

    def episode_at(self, path: Path) -> Episode:
        """The loaded episode for `episodes/<slug>.yaml`.

        Raises:
            EpisodeError: the file is not one of the project's episodes.
        """
        episode = self._by_source.get(str(path.resolve()))
        if episode is not None:
            return episode
        raise EpisodeError(
            f"{shown(path)}: not an episode of this project "
            f"(episodes live in {self.settings.episodes_dir}/*.yaml)"
        )


def load_project(
    settings: Settings,
    *,
    cache: EpisodeCache | None = None,
    seen: Mapping[str, SeenFile] | None = None,
) -> Project:
    """Load and validate every feed and episode.

    Args:
        settings: the project's settings.
        cache: the run's episode cache (by default the one in `.showpipe/cache/`); the
            project carries it, to be saved when the run has succeeded.
        seen: the episode files by name, as the run found (and maybe read) them just
            before (`EpisodeCache.load_folder`).

    Raises:
        ValidationError: with every problem of every file, each as `file:line: field: …`.
    """
    problems: list[str] = []
    feeds: list[Feed] = []
    episodes: list[Episode] = []
    for path in yaml_files(settings.feeds_dir):
        try:
            feeds.append(load_feed(path))
        except ValidationError as e:
            problems += e.problems
    cache = EpisodeCache.of(settings) if cache is None else cache
    episodes, invalid = cache.load_folder(settings.episodes_dir, seen=seen)
    problems += invalid
    if not feeds and not problems:
        problems.append(f"{settings.feeds_dir}: no feeds defined (add feeds/<name>.yaml)")
    problems += numbers_used_twice(episodes)
    problems += _shared_slugs(episodes)
    guids = Counter(e.guid for e in episodes if e.guid)
    for episode in episodes:
        if episode.guid and guids[episode.guid] > 1:
            others = [
                o.source.name for o in episodes if o.guid == episode.guid and o is not episode
            ]
            problems.append(
                f"{shown(episode.source)}:1: guid: '{episode.guid}' is also the GUID of "
                f"{', '.join(others)}; every episode needs its own"
            )
    if problems:
        raise ValidationError(problems)
    memo = ManifestMemo.of(settings)
    return Project(settings, feeds, episodes, cache=cache, manifests=memo)


def numbers_used_twice(episodes: list[Episode]) -> list[str]:
    """Each full episode whose season and episode number an earlier one has already.

    Apple Podcasts orders and shows episodes by these numbers; two "episode 3" confuse it.
    Trailers and bonus episodes may carry the number of the episode they belong to. Episodes
    imported from another host and kept there (remote media only) keep the numbers their old
    feed gave them: real feeds repeat numbers, and a moved show must arrive whole.
    """
    first: dict[tuple[int, int], Episode] = {}
    problems = []
    # The later episode is the one to renumber: the earlier may be out already.
    for episode in sorted(episodes, key=lambda e: (e.published, e.source.name)):
        imported = not (episode.audio or episode.video)
        if episode.episode is None or episode.type != "full" or episode.unpublished or imported:
            continue
        number = (episode.season or 1, episode.episode)
        if number not in first:
            first[number] = episode
            continue
        line = line_in_file(episode.source, ("episode",))
        problems.append(
            f"{shown(episode.source)}:{line}: episode: {number[1]} of season {number[0]} is "
            f"already {first[number].source.name}; give the next free number"
        )
    return problems


def _named_files(project: Project, episodes: list[Episode]) -> list[tuple[Path, Path, int]]:
    """Each file the feeds and `episodes` name: (file, YAML naming it, its size limit)."""
    feeds_dir = project.settings.feeds_dir
    named = [
        (feed.artwork, feeds_dir / f"{feed.name}.yaml", MAX_IMAGE_BYTES) for feed in project.feeds
    ]
    for episode in episodes:
        images = [episode.artwork, episode.poster, *(c.image for c in episode.chapters)]
        media = [episode.audio, episode.video, *episode.alternates]
        for files, limit in (
            (images, MAX_IMAGE_BYTES),
            (media, MAX_MEDIA_BYTES),
            (episode.transcripts, MAX_TRANSCRIPT_BYTES),
        ):
            named += [(path, episode.source, limit) for path in files if path is not None]
    return named


def _shared_slugs(episodes: list[Episode]) -> list[str]:
    """Two episodes whose file names become one name in URLs (`café` in NFC and NFD,
    `Ep_1` and `ep-1`) would share an embed page and object keys: refuse them both."""
    problems = []
    first: dict[str, Episode] = {}
    for episode in episodes:
        other = first.setdefault(episode.public_slug, episode)
        if other is episode:
            continue
        names = [e.source.name for e in (other, episode)]
        same = unicodedata.normalize("NFC", names[0]) == unicodedata.normalize("NFC", names[1])
        shown_names = [ascii(n) if same else n for n in names]  # one letter, two encodings
        problems.append(
            f"{shown(episode.source)}:1: {shown_names[1]} and {shown_names[0]} both become "
            f"'{episode.public_slug}' in URLs, so they would share pages and files; rename one"
        )
    return problems


def missing_files(project: Project, episodes: list[Episode] | None = None) -> list[str]:
    """Every file named by the feeds and the given episodes (default: all) that may not be
    read (missing, not a regular file, a link out of the project, too big: see `inputfiles`),
    each as `yaml:line: file: problem`."""
    root = project.settings.root
    problems = []
    for path, owner, limit in _named_files(
        project, project.episodes if episodes is None else episodes
    ):
        try:
            check_file(path, root=root, limit=limit)
        except UnsafeFile as e:
            where = "named in" if e.problem == "file not found" else "in"
            # Found only for a problem: it reads the YAML file again.
            line = line_naming(owner, path.name)
            problems.append(
                f"{shown(owner)}:{line}: {shown(path)}: {e.problem} ({where} {owner.name})"
            )
    return problems


def artwork_present(project: Project, feed: Feed) -> bool:
    """Whether the feed's artwork is here (cron's machine may have only the published copy);
    when it is, it is checked as every input is, so `feeds` reads only what `publish` would.

    Raises:
        ValidationError: it is here but may not be read (`yaml:line: file: problem`).
    """
    path, owner = feed.artwork, project.settings.feeds_dir / f"{feed.name}.yaml"
    if not os.path.lexists(path):
        return False
    try:
        check_file(path, root=project.settings.root, limit=MAX_IMAGE_BYTES)
    except UnsafeFile as e:
        line = line_naming(owner, path.name)
        raise ValidationError([f"{shown(owner)}:{line}: {shown(path)}: {e.problem}"]) from None
    return True


def line_naming(yaml_file: Path, name: str) -> int:
    """The first line of a YAML file that names `name` (1 if none does, or it is unreadable):
    only read when a problem is reported."""
    try:
        lines = yaml_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((i for i, line in enumerate(lines, 1) if name in line), 1)
