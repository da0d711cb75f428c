"""`showpipe check`: the project validated, and the feeds it would build linted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from showpipe.config import Settings
from showpipe.errors import ValidationError
from showpipe.feeds.findings import Finding
from showpipe.feeds.lint import is_public, lint_feed
from showpipe.feeds.lintmemo import LintMemo
from showpipe.model.episode import Episode
from showpipe.model.fields import SHOW_ARTWORK_MAX, SHOW_ARTWORK_MIN
from showpipe.model.manifest import read_manifest_versioned
from showpipe.model.project import Project, load_project, missing_files
from showpipe.model.published import PublishedEpisode, scheduled_episodes
from showpipe.model.show import Feed
from showpipe.publishing.plan import Plan, plan_feeds_only, plan_publish
from showpipe.storage import Storage

if TYPE_CHECKING:
    from showpipe.media import BuildCache
    from showpipe.media.levels import LevelReport


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
    memo = LintMemo.of(plan.project.settings)
    findings = []
    for feed in plan.feeds:
        findings += lint_feed(feed.name, feed.xml, public=public, memo=memo, pieces=feed.pieces)
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


def _checked_media(project: Project, new: list[Episode]) -> BuildCache:
    """The build cache the check reads new episodes' files through (each file read once),
    after checking that every file they name is there and valid.

    Here, not at the top: a show with nothing new (cron's check of an old show) needs no media
    code.

    Raises:
        ValidationError: a file is missing or invalid.
    """
    from showpipe.media import BuildCache
    from showpipe.media.episodes import media_problems

    missing = missing_files(project, new)
    if missing:
        raise ValidationError(missing)
    cache = BuildCache(project.settings.cache_dir)
    problems = media_problems(project, new, hashes=cache.hashes)
    if problems:
        raise ValidationError(problems)
    return cache


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
    cache = _checked_media(project, new) if new else None
    live = plan_feeds_only(project, storage, now=now, stored=manifest)
    published = live.manifest.episodes
    pending = [
        e.source
        for e in project.episodes
        if not e.unpublished and (e.guid is None or e.guid not in published)
    ]
    last = max([now, *(e.published for e in project.episodes if not e.unpublished)])
    built = live
    if pending:  # new episodes, so with the build cache their files were read through
        built = plan_publish(project, storage, pending, now=last, cache=cache, stored=manifest)
    elif last > now:  # scheduled ones only: the feeds when the last is due, no media needed
        built = plan_feeds_only(project, storage, now=last, stored=manifest)
    scheduled = scheduled_episodes(built.project.episodes, built.manifest, now)
    levels = built.levels
    if cache is not None:
        from showpipe.media.levels import far_off_files

        # Masters were measured where the plan encoded them; only files kept as is remain.
        levels = levels + far_off_files(project, new, hashes=cache.hashes)
        cache.hashes.save()
    findings = lint_plan(built)
    return CheckReport(project.feeds, len(project.episodes), findings, scheduled, levels)
