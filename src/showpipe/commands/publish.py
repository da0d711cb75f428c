"""`showpipe publish` and `unpublish`: the writing commands a podcaster runs by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from showpipe.checks.project import lint_plan
from showpipe.commands.feeds import feeds_recorder
from showpipe.commands.locked import run_locked
from showpipe.commands.run import Outcome, Run
from showpipe.errors import ValidationError
from showpipe.media import BuildCache
from showpipe.model.project import load_project
from showpipe.publishing.cleanup import plan_unpublish
from showpipe.publishing.feedstate import input_digests
from showpipe.publishing.plan import Plan, plan_publish


def publish(
    run: Run, episodes: Sequence[Path], *, id3_version: int = 4, dry_run: bool = False
) -> Outcome:
    """Publish the episodes: tag and upload their files, regenerate the feeds and pages.

    With `dry_run`, the plan is made (tagged copies land in the build cache) and returned
    unrun.

    Raises:
        ShowpipeError: bad input, before anything is changed; or a failure while writing.
    """
    inputs = input_digests(run.settings, None)  # the manifest: as the plan reads it
    with run.step("load the project"):
        project = load_project(run.settings, seen=inputs.episodes)
    cache = BuildCache(run.settings.cache_dir)
    warnings: list[str] = []

    def make_plan() -> Plan:
        return linted(
            plan_publish(
                project,
                run.storage,
                list(episodes),
                now=run.now,
                id3_version=id3_version,
                cache=cache,
                descriptions=run.descriptions,
            ),
            warnings,
        )

    if dry_run:
        return Outcome(make_plan(), wrote=False, warnings=warnings)
    outcome = run_locked(run, "publish", make_plan, under_lock=feeds_recorder(run, inputs))
    return replace(outcome, warnings=warnings + outcome.warnings)


def linted(plan: Plan, warnings: list[str]) -> Plan:
    """The plan, once the feeds it writes pass the lint `check` runs; its warnings are added
    to `warnings` (replacing those of an earlier plan of the run).

    Raises:
        ValidationError: a feed it changes has an error, which apps would see.
    """
    findings = lint_plan(plan)
    changed = {f"feeds/{feed.name}.xml" for feed in plan.feeds if feed.changed}
    errors = [
        str(f) for f in findings if f.severity == "error" and f.where.split(":")[0] in changed
    ]
    if errors:
        raise ValidationError(errors)
    warnings[:] = [str(f) for f in findings if str(f) not in errors]
    return plan


def unpublish(run: Run, episode: Path, *, delete_media: bool, dry_run: bool = False) -> Outcome:
    """Take an episode out of every feed (and its files out of the storage with
    `delete_media`, after the feeds stop naming them)."""
    inputs = input_digests(run.settings, None)  # the manifest: as the plan reads it
    project = load_project(run.settings, seen=inputs.episodes)

    def make_plan() -> Plan:
        return plan_unpublish(
            project,
            run.storage,
            episode,
            now=run.now,
            delete_media=delete_media,
            descriptions=run.descriptions,
        )

    if dry_run:
        return Outcome(make_plan(), wrote=False)
    return run_locked(run, "unpublish", make_plan, under_lock=feeds_recorder(run, inputs))
