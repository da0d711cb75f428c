"""Is the imported project ready? Every YAML file valid, and the feeds it builds lint clean.

What is not is listed as `file:line: what: why` against the YAML file to edit: a feed lint
error about an item points at that episode's file.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from showpipe.config import Settings
from showpipe.errors import ShowpipeError, ValidationError, shown
from showpipe.feeds.lint import is_public, lint_feed
from showpipe.model.project import load_project
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
    try:
        project = load_project(settings)
    except ValidationError as e:
        return e.problems
    try:
        plan = plan_feeds_only(project, open_storage(settings), now=now)
    except ShowpipeError as e:
        return [str(e)]
    public = is_public(settings.public_url)
    problems = []
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
