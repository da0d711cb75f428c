"""`showpipe feeds`, cron's job: return at once when nothing changed, else rebuild the feeds.

This module imports only what the no-change check needs; the project, feedgen and the
parsers are loaded only when there is work to do, so a quiet cron run stays well under a
second even for a show of thousands of episodes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from showpipe.config import Settings
from showpipe.digests import data_digest
from showpipe.publishing.feedstate import (
    FeedsState,
    due_window,
    fingerprint,
    nothing_to_do,
    save_state,
)
from showpipe.publishing.lock import exclusive
from showpipe.storage import Storage

if TYPE_CHECKING:
    from showpipe.publishing.plan import Plan


def refresh_feeds(
    settings: Settings, storage: Storage, *, now: datetime, dry_run: bool = False
) -> tuple[Plan, list[str]] | None:
    """Cron's job: regenerate the feeds, or return None at once when nothing can have changed.

    Returns the plan it ran and the warnings of notifying apps about changed feeds.

    Raises:
        ValidationError: a YAML file is invalid.
        FeedError: a feed would drop a GUID or does not read back as meant.
    """
    if not dry_run and nothing_to_do(settings, storage, now):
        return None
    # Only now the heavy modules (pydantic models, feedgen, podcastparser…): work to do.
    from showpipe.model.manifest import Manifest
    from showpipe.model.project import load_project
    from showpipe.publishing.imported import refuse_never_published
    from showpipe.publishing.notify import announce_changes
    from showpipe.publishing.plan import plan_feeds_only, run_plan
    from showpipe.web.site import Page, build_site, write_site

    project = load_project(settings)
    if dry_run:
        plan = plan_feeds_only(project, storage, now=now)
        refuse_never_published(project, plan.manifest, now=now)
        return plan, []
    # Planned and written under the lock and lease, so a publish meanwhile is never undone.
    pages: list[Page] = []

    def build_pages(manifest: Manifest) -> None:
        pages.extend(build_site(project, manifest, now=now))

    with exclusive(settings.state_dir, storage, "feeds", now=datetime.now(UTC)):
        before = fingerprint(settings, storage)
        # the show's pages are built while the feeds are read back, and written after them
        plan = plan_feeds_only(project, storage, now=now, meanwhile=build_pages)
        refuse_never_published(project, plan.manifest, now=now)
        run_plan(plan, storage)
        write_site(storage, pages)
    warnings = announce_changes(plan)
    window = due_window((e.published for e in project.episodes), now)
    save_state(
        settings,
        FeedsState(
            # Our own manifest write is an input of the next run; anything else is a change.
            fingerprint(settings, storage) if plan.manifest_changed else before,
            *window,
            feeds={f.key: data_digest(f.xml) for f in plan.feeds},
        ),
    )
    return plan, warnings
