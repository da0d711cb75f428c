"""`showpipe check`: the project validated, and the feeds it would build linted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from showpipe.config import Settings
from showpipe.errors import ValidationError
from showpipe.feeds.lint import Finding, is_public, lint_feed
from showpipe.manifest import Manifest, StoredFile
from showpipe.project import load_project, missing_files
from showpipe.publish import plan_feeds_only
from showpipe.storage import Storage


@dataclass(frozen=True)
class CheckReport:
    feeds: int
    episodes: int
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def check_project(settings: Settings, storage: Storage, *, now: datetime) -> CheckReport:
    """Validate every YAML file and named file, then lint each feed as it would be built now.

    Changes nothing: the feeds are built in memory from the YAML and the storage's manifest.

    Raises:
        ValidationError: a YAML file is invalid or names a missing file.
        FeedError: a feed cannot be built, would drop a GUID, or reads back wrong.
    """
    project = load_project(settings)
    missing = missing_files(project)
    if missing:
        raise ValidationError(missing)
    plan = plan_feeds_only(project, storage, now=now)
    public = is_public(settings.public_url)
    findings = [f for feed in plan.feeds for f in lint_feed(feed.name, feed.xml, public=public)]
    findings += _artwork_findings(plan.manifest)
    return CheckReport(len(project.feeds), len(project.episodes), findings)


def _artwork_findings(manifest: Manifest) -> list[Finding]:
    """Apple's artwork rules (square, 1400-3000 px), from the sizes measured at publishing."""
    findings = []
    for name, record in sorted(manifest.feeds.items()):
        problem = _artwork_problem(record.artwork)
        if problem:
            findings.append(Finding("error", f"feeds/{name}.yaml: artwork", problem))
    for episode in sorted(manifest.episodes.values(), key=lambda r: r.slug):
        problem = _artwork_problem(episode.artwork) if episode.artwork else None
        if problem:
            findings.append(Finding("warning", f"episodes/{episode.slug}.yaml: artwork", problem))
    return findings


def _artwork_problem(artwork: StoredFile) -> str | None:
    width, height = artwork.width, artwork.height
    if width is None or height is None:
        return None  # published before sizes were recorded
    if width != height:
        return f"is {width}x{height}; Apple wants square artwork"
    if not 1400 <= width <= 3000:
        return f"is {width}x{height}; Apple wants 1400 to 3000 pixels a side"
    return None
