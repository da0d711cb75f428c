"""`showpipe feeds`, cron's job: return at once when nothing changed, else rebuild the feeds.

This module imports only what the no-change check needs; the project, feedgen and the
parsers are loaded only when there is work to do, so a quiet cron run stays well under a
second even for a show of thousands of episodes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from showpipe import parallel
from showpipe.digests import data_digest
from showpipe.parallel import start_workers
from showpipe.publishing.feedstate import (
    FeedsState,
    Inputs,
    due_window,
    fingerprint,
    input_digests,
    input_name,
    keep_identities,
    nothing_to_do,
    save_state,
)
from showpipe.storage import MANIFEST_KEY

if TYPE_CHECKING:
    from showpipe.commands.run import Outcome, Run
    from showpipe.publishing.plan import Plan

# What the workers run, imported by their server before it forks them: validating episodes,
# rendering items, reading feeds back.
WORKER_MODULES = [
    "showpipe.feeds.build",
    "showpipe.feeds.readback",
    "showpipe.model.loading",
    "markdown_it",
]


def refresh_feeds(run: Run, *, dry_run: bool = False) -> Outcome | None:
    """Cron's job: regenerate the feeds and pages, or return None at once when nothing can
    have changed since the last run.

    Raises:
        ValidationError: a YAML file is invalid.
        FeedError: a feed would drop a GUID or does not read back as meant.
    """
    settings, storage = run.settings, run.storage
    # Taken before anything is read: whatever changes after it makes the next run's differ.
    inputs = input_digests(settings, storage)
    if not dry_run and nothing_to_do(settings, storage, inputs, run.now):
        keep_identities(settings, inputs)
        return None
    # A big show without caches validates, renders and reads back everything on every core,
    # so the workers' server starts as soon as that is known. With no record of an earlier
    # run here, at once: it imports what they run on another core while this process imports
    # the rest (a cold build of 5,000 episodes took about 0.2 s less). Not on every run that
    # read many files: a copied project reads them all, then finds its caches valid.
    big = len(inputs.episodes) >= parallel.PARALLEL_LOAD_FROM
    if big and not inputs.remembered:
        start_workers(WORKER_MODULES)
    # Only now the heavy modules (pydantic models, feedgen, podcastparser…): work to do.
    from showpipe.commands.locked import run_locked
    from showpipe.commands.run import Outcome
    from showpipe.model.cache import EpisodeCache
    from showpipe.model.project import load_project
    from showpipe.publishing.imported import refuse_never_published
    from showpipe.publishing.plan import plan_feeds_only

    episodes = EpisodeCache.of(settings)
    if big and episodes.empty:
        # Files recorded, yet no episode cache (removed, or kept by other code): now, while
        # the project loads (a no-op if started above). With caches, a run has a few
        # episodes to redo, which this process does alone.
        start_workers(WORKER_MODULES)
    project = load_project(settings, cache=episodes, seen=inputs.episodes)

    def make_plan() -> Plan:
        return plan_feeds_only(project, storage, now=run.now, descriptions=run.descriptions)

    def refuse(plan: Plan) -> None:
        refuse_never_published(project, plan.manifest, now=run.now)

    if dry_run:
        preview = make_plan()
        refuse(preview)
        return Outcome(preview, wrote=False)
    remember = feeds_recorder(run, inputs)
    outcome = run_locked(run, "feeds", make_plan, refuse=refuse, under_lock=remember)
    if not outcome.wrote:
        remember(outcome.plan, outcome.plan.manifest_version)
    return outcome


def feeds_recorder(run: Run, before: Inputs) -> Callable[[Plan, str | None], None]:
    """What records, once a run has written every feed, what they were built from: the
    next cron run with the same inputs then has nothing to do.

    `before` are the inputs' digests, taken before the project was loaded. Of the files the
    run writes itself (values into episode YAML) the digests of what it wrote are put in; a
    file anybody else changed meanwhile keeps its old digest, so the next run sees it. The
    manifest's version is the one the run leaves (`remember(plan, manifest_version)`): the
    one the plan was built from, or the one it wrote, under the lease.
    """

    def remember(plan: Plan, manifest_version: str | None) -> None:
        seen = {**before.digests, MANIFEST_KEY: manifest_version or ""}
        for write in plan.yaml_writes:
            seen[input_name(write.path)] = data_digest(write.path.read_bytes())
        window = due_window((e.published for e in plan.project.episodes), run.now)
        feeds = {f.key: f.digest for f in plan.feeds}
        save_state(run.settings, FeedsState(fingerprint(run.settings, seen), *window, feeds=feeds))
        keep_identities(run.settings, before)

    return remember


def write_preview(plan: Plan, folder: Path) -> list[Path]:
    """Write the feeds a preview built into `folder`, as the storage would hold them."""
    from showpipe.storage.local import LocalStorage

    preview = LocalStorage(folder)
    for feed in plan.feeds:
        preview.put_bytes(feed.key, feed.xml, content_type="application/rss+xml", cache_control="")
    return [folder / feed.key for feed in plan.feeds]
