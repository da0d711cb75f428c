"""`showpipe import`'s last step: is the imported project ready? Every YAML file valid,
and the feeds it builds lint clean.

What is not is listed as `file:line: what: why` against the YAML file to edit: a feed lint
error about an item points at that episode's file.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic

from showpipe.config import Settings
from showpipe.errors import ShowpipeError, ValidationError, shown
from showpipe.feeds.lint import is_public, lint_feed
from showpipe.feeds.text import Descriptions
from showpipe.model.loading import load_episode
from showpipe.model.project import Project, load_project
from showpipe.model.show import Feed
from showpipe.model.yamlfile import read_yaml_fast
from showpipe.publishing.plan import plan_feeds_only
from showpipe.storage import open_storage

_ITEM = re.compile(r"item '(?P<title>.*)'$")


def _line_of(path: Path, key: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def not_ready(settings: Settings, titles: dict[str, str], *, now: datetime) -> list[str]:
    """Every YAML problem (`file:line: field: message`), else the feeds' lint errors, each
    against the YAML file to edit (`titles`: episode title -> its project-relative file)."""
    problems: list[str] = []
    try:
        project: Project | None = load_project(settings)
    except ValidationError as e:
        # Lint the items anyway (with stand-ins for what the feed lacks): the list is whole.
        project, problems = _with_stand_ins(settings), e.problems
    if project is None:
        return problems
    try:
        plan = plan_feeds_only(
            project, open_storage(settings), now=now, descriptions=_rendered(project)
        )
    except ShowpipeError as e:
        return [*problems, str(e)]
    public = is_public(settings.public_url)
    for feed in plan.feeds:
        yaml_file = settings.root / "feeds" / f"{feed.name}.yaml"
        for finding in lint_feed(feed.name, feed.xml, public=public):
            if finding.severity != "error":
                continue
            item = _ITEM.search(finding.where)
            target = (
                settings.root / titles[item["title"]] if item and item["title"] in titles else None
            )
            path = target or yaml_file
            line = _line_of(path, "title")
            problems.append(f"{shown(path)}:{line}: {finding.message}")
    return problems


def _rendered(project: Project) -> Descriptions:
    """The episodes' descriptions rendered here, one after another: an import's are short,
    and starting worker processes for them (as a big `feeds` run does) costs more than
    rendering them, most of all on a busy machine."""
    text = Descriptions()
    for episode in project.episodes:
        text.html(episode.description)
    return text


# Values a feed may lack after an import that no item's lint depends on.
_STAND_INS: dict[str, Any] = {
    "link": "https://example.invalid/",
    "owner": {"name": "stand-in", "email": "owner@example.invalid"},
    "categories": [{"category": "Technology"}],
}


def _with_stand_ins(settings: Settings) -> Project | None:
    """The project with stand-ins for the feed values it lacks, or None if anything else
    is wrong (an episode, or a feed value no stand-in replaces)."""
    try:
        episodes = [load_episode(path) for path in sorted(settings.episodes_dir.glob("*.yaml"))]
        feeds = []
        for path in sorted(settings.feeds_dir.glob("*.yaml")):
            data = read_yaml_fast(path) or {}
            owner = {**_STAND_INS["owner"], **data.get("owner", {})}
            data = {**_STAND_INS, **data, "owner": owner, "name": path.stem}
            context = {"base": path.resolve().parent}
            feeds.append(Feed.model_validate(data, context=context))
    except (ValidationError, pydantic.ValidationError):
        return None
    return Project(settings=settings, feeds=feeds, episodes=episodes)
