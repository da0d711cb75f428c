"""`showpipe check`: the project validated, and the feeds it would build linted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from showpipe.config import Settings
from showpipe.errors import ValidationError
from showpipe.feeds.lint import Finding, is_public, lint_feed
from showpipe.media.episodes import media_problems
from showpipe.media.levels import LevelReport, level_reports
from showpipe.model.project import load_project, missing_files
from showpipe.publishing.plan import plan_feeds_only
from showpipe.storage import Storage


@dataclass(frozen=True)
class CheckReport:
    feeds: int
    episodes: int
    findings: list[Finding]
    levels: list[LevelReport] = field(default_factory=list)  # each audio file's loudness

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def check_project(settings: Settings, storage: Storage, *, now: datetime) -> CheckReport:
    """Validate the YAML, the files it names (media probed, chapters against the duration,
    artwork against Apple's rules), then lint each feed as it would be built now.

    Changes nothing: the feeds are built in memory from the YAML and the storage's manifest.

    Raises:
        ValidationError: a YAML file is invalid or names a missing file.
        FeedError: a feed cannot be built, would drop a GUID, or reads back wrong.
    """
    project = load_project(settings)
    missing = missing_files(project)
    if missing:
        raise ValidationError(missing)
    problems = media_problems(project)
    if problems:
        raise ValidationError(problems)
    levels = level_reports(project)
    plan = plan_feeds_only(project, storage, now=now)
    public = is_public(settings.public_url)
    findings = [f for feed in plan.feeds for f in lint_feed(feed.name, feed.xml, public=public)]
    return CheckReport(len(project.feeds), len(project.episodes), findings, levels)
