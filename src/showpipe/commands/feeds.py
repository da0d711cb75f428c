"""`showpipe feeds`, cron's job: return at once when nothing changed, else rebuild the feeds.

This module imports only what the no-change check needs; the project, feedgen and the
parsers are loaded only when there is work to do, so a quiet cron run stays well under a
second even for a show of thousands of episodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from showpipe.digests import data_digest
from showpipe.publishing.feedstate import (
    FeedsState,
    due_window,
    fingerprint,
    nothing_to_do,
    save_state,
)

if TYPE_CHECKING:
    from showpipe.commands.run import Outcome, Run
    from showpipe.publishing.plan import Plan


def refresh_feeds(run: Run, *, dry_run: bool = False) -> Outcome | None:
    """Cron's job: regenerate the feeds and pages, or return None at once when nothing can
    have changed since the last run.

    Raises:
        ValidationError: a YAML file is invalid.
        FeedError: a feed would drop a GUID or does not read back as meant.
    """
    settings, storage = run.settings, run.storage
    if not dry_run and nothing_to_do(settings, storage, run.now):
        return None
    # Only now the heavy modules (pydantic models, feedgen, podcastparser…): work to do.
    from showpipe.commands.run import Outcome, run_locked
    from showpipe.model.project import load_project
    from showpipe.publishing.plan import plan_feeds_only

    project = load_project(settings)

    def make_plan() -> Plan:
        return plan_feeds_only(project, storage, now=run.now, descriptions=run.descriptions)

    if dry_run:
        return Outcome(make_plan(), wrote=False)
    # Taken before planning: whatever changes after it makes the next run's differ.
    before = fingerprint(settings, storage)

    def remember(plan: Plan) -> None:
        # Our own manifest write is an input of the next run; anything else is a change.
        seen = fingerprint(settings, storage) if plan.manifest_changed else before
        window = due_window((e.published for e in project.episodes), run.now)
        feeds = {f.key: data_digest(f.xml) for f in plan.feeds}
        save_state(settings, FeedsState(seen, *window, feeds=feeds))

    outcome = run_locked(run, "feeds", make_plan, under_lock=remember)
    if not outcome.wrote:
        remember(outcome.plan)
    return outcome


def write_preview(plan: Plan, folder: Path) -> list[Path]:
    """Write the feeds a preview built into `folder`, as the storage would hold them."""
    from showpipe.storage.local import LocalStorage

    preview = LocalStorage(folder)
    for feed in plan.feeds:
        preview.put_bytes(feed.key, feed.xml, content_type="application/rss+xml", cache_control="")
    return [folder / feed.key for feed in plan.feeds]
