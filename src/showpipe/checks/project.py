"""`showpipe check`: the project validated, and the feeds it would build linted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from showpipe.config import Settings
from showpipe.errors import ValidationError
from showpipe.feeds.findings import Finding
from showpipe.feeds.lint import LINT_FILE, is_public, lint_feed, open_memo
from showpipe.media import BuildCache
from showpipe.media.episodes import media_problems
from showpipe.media.levels import LevelReport, far_off_files
from showpipe.media.probe import SHOW_ARTWORK_MAX, SHOW_ARTWORK_MIN
from showpipe.model.manifest import read_manifest_versioned
from showpipe.model.project import load_project, missing_files
from showpipe.model.published import PublishedEpisode, scheduled_episodes
from showpipe.model.show import Feed
from showpipe.publishing.plan import Plan, plan_feeds_only, plan_publish
from showpipe.storage import Storage


@dataclass(frozen=True)
class CheckReport:
    feeds: list[Feed]
    episodes: int
    findings: list[Finding]
    # Published episodes that join their feeds later, soonest first.
    scheduled: list[PublishedEpisode]
    levels: list[LevelReport] = field(default_factory=list)  # masters' loudness, far-off files

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def lint_plan(plan: Plan) -> list[Finding]:
    """Lint the feeds a plan would write, as apps will read them, and each episode's artwork."""
    public = is_public(plan.project.settings.public_url)
    # Items linted in earlier runs are not linted again (.showpipe/cache/).
    memo = open_memo(plan.project.settings.cache_dir / LINT_FILE)
    findings = [
        f for feed in plan.feeds for f in lint_feed(feed.name, feed.xml, public=public, memo=memo)
    ]
    memo.save()
    for episode in plan.project.episodes:
        record = plan.manifest.episodes.get(episode.guid or "")
        art = record.artwork if record else None
        if art and art.width and art.height and min(art.width, art.height) < SHOW_ARTWORK_MIN:
            message = (
                f"artwork is {art.width}×{art.height} px; Apple asks for {SHOW_ARTWORK_MIN} to "
                f"{SHOW_ARTWORK_MAX} px, square"
            )
            findings.append(Finding("warning", str(episode.source.name), message))
    return findings


def check_project(settings: Settings, storage: Storage, *, now: datetime) -> CheckReport:
    """Validate the YAML, the files it names (media probed, chapters against the duration,
    artwork against Apple's rules), then lint each feed as it would be built: with the
    episodes not published yet included, at the time the last scheduled one is due.

    The files of episodes already published are not needed: the feeds take them from the
    manifest, which measured them when they were published, and an old show's recordings
    are often no longer on the machine.

    Changes nothing in the project or the storage (new episodes' tagged copies go into the
    build cache, as with `publish --dry-run`; the caches under `.showpipe/cache/` are kept
    up to date).

    Raises:
        ValidationError: a YAML file is invalid or names a missing file.
        FeedError: a feed cannot be built, would drop a GUID, or reads back wrong.
    """
    project = load_project(settings)
    manifest = read_manifest_versioned(storage, memo=project.manifests)
    stored = manifest[0].episodes
    new = [e for e in project.episodes if (e.guid or "") not in stored]
    missing = missing_files(project, new)
    if missing:
        raise ValidationError(missing)
    cache = BuildCache(settings.cache_dir)  # one for the check: files are read once
    problems = media_problems(project, new, hashes=cache.hashes)
    if problems:
        raise ValidationError(problems)
    live = plan_feeds_only(project, storage, now=now, stored=manifest)
    published = live.manifest.episodes
    pending = [
        e.source
        for e in project.episodes
        if not e.unpublished and (e.guid is None or e.guid not in published)
    ]
    last = max([now, *(e.published for e in project.episodes if not e.unpublished)])
    built = live
    if pending or last > now:
        built = plan_publish(project, storage, pending, now=last, cache=cache)
    scheduled = scheduled_episodes(built.project, built.manifest, now)
    # Masters were measured where the plan encoded them; only files kept as they are remain.
    levels = built.levels + far_off_files(project, new, hashes=cache.hashes)
    cache.hashes.save()
    findings = lint_plan(built)
    return CheckReport(project.feeds, len(project.episodes), findings, scheduled, levels)
