"""The whole project at once: every feed and episode, validated together."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from showpipe.config import Settings
from showpipe.errors import EpisodeError, ValidationError, shown
from showpipe.model.cache import EpisodeCache
from showpipe.model.show import Episode, Feed, load_feed


@dataclass(frozen=True)
class Project:
    settings: Settings
    feeds: list[Feed]
    episodes: list[Episode]
    # The run's episode cache, saved once the run has planned its feeds without a problem.
    cache: EpisodeCache | None = field(default=None, compare=False, repr=False)

    @cached_property
    def _by_source(self) -> dict[Path, Episode]:
        # Publishing a whole show asks for every episode: a scan each would be quadratic.
        return {episode.source: episode for episode in self.episodes}

    def episode_at(self, path: Path) -> Episode:
        """The loaded episode for `episodes/<slug>.yaml`.

        Raises:
            EpisodeError: the file is not one of the project's episodes.
        """
        episode = self._by_source.get(path.resolve())
        if episode is not None:
            return episode
        raise EpisodeError(
            f"{shown(path)}: not an episode of this project "
            f"(episodes live in {self.settings.episodes_dir}/*.yaml)"
        )


def _yaml_files(folder: Path) -> list[Path]:
    # By name: the same order as by path, without comparing thousands of Path objects.
    found = [p for p in folder.glob("*.yaml") if p.is_file()] if folder.is_dir() else []
    return sorted(found, key=lambda p: p.name)


def load_project(settings: Settings, *, cache: EpisodeCache | None = None) -> Project:
    """Load and validate every feed and episode.

    Args:
        settings: the project's settings.
        cache: the run's episode cache (by default the one in `.showpipe/cache/`); the
            project carries it, to be saved when the run has succeeded.

    Raises:
        ValidationError: with every problem of every file, each as `file:line: field: …`.
    """
    problems: list[str] = []
    feeds: list[Feed] = []
    episodes: list[Episode] = []
    for path in _yaml_files(settings.feeds_dir):
        try:
            feeds.append(load_feed(path))
        except ValidationError as e:
            problems += e.problems
    cache = EpisodeCache.of(settings) if cache is None else cache
    for path in _yaml_files(settings.episodes_dir):
        try:
            episodes.append(cache.load(path))
        except ValidationError as e:
            problems += e.problems
    if not feeds and not problems:
        problems.append(f"{settings.feeds_dir}: no feeds defined (add feeds/<name>.yaml)")
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
    return Project(settings=settings, feeds=feeds, episodes=episodes, cache=cache)


def missing_files(project: Project, episodes: list[Episode] | None = None) -> list[str]:
    """Every file named by the feeds and the given episodes (default: all) that is missing,
    or a symbolic link to a file outside the project; each as `yaml:line: file: problem`."""
    feeds_dir = project.settings.feeds_dir
    named = [(feed.artwork, feeds_dir / f"{feed.name}.yaml") for feed in project.feeds]
    for episode in project.episodes if episodes is None else episodes:
        named += [(path, episode.source) for path in episode.local_files()]
    root = project.settings.root.resolve()
    problems = []
    for path, owner in named:
        if not path.is_file():
            problem = f"file not found (named in {owner.name})"
        elif not path.resolve().is_relative_to(root):
            # A symlink out of the project: followed, it would publish a file from elsewhere.
            problem = f"a link to a file outside the project (in {owner.name})"
        else:
            continue
        # Found only for a problem: it reads the YAML file again.
        problems.append(f"{shown(owner)}:{line_naming(owner, path.name)}: {shown(path)}: {problem}")
    return problems


def line_naming(yaml_file: Path, name: str) -> int:
    """The first line of a YAML file that names `name` (1 if none does, or it is unreadable):
    only read when a problem is reported."""
    try:
        lines = yaml_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((i for i, line in enumerate(lines, 1) if name in line), 1)
