"""`showpipe site`: return at once when nothing the pages are made from changed, else write
the pages that changed.

As `showpipe feeds` does, this module imports only what the no-change check needs
(web/refresh.py); the project, the templates and the run's machinery load only when there is
work to do, so an unchanged 5,000-episode show finishes well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from showpipe.web.refresh import record_site_inputs, site_fingerprint, site_is_current

if TYPE_CHECKING:
    from datetime import datetime

    from showpipe.commands.run import Outcome, Run
    from showpipe.config import Settings
    from showpipe.publishing.plan import Plan
    from showpipe.storage import Storage


def refresh_site(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    open_run: Callable[[], Run],
    dry_run: bool = False,
) -> Outcome | None:
    """Write the show's pages that changed, or return None at once when none can have.

    `open_run` makes the run (its imports cost more than the whole no-change check), and is
    called only when there is work to do.

    Raises:
        ShowpipeError: bad input, before anything is changed; or a failure while writing.
    """
    # Taken before the project is read: an edit made meanwhile is built next time.
    before = site_fingerprint(settings, storage)
    if not dry_run and site_is_current(storage, before, now=now):
        return None  # nothing the pages are made from changed: the project is not even loaded
    run = open_run()
    outcome = build_show_site(run, dry_run=dry_run)
    if not dry_run:
        record_site_inputs(run.storage, before, outcome.plan.project, now=run.now)
    return outcome


def build_show_site(run: Run, *, dry_run: bool = False) -> Outcome:
    """Write the show's pages that changed; an unchanged site takes no lock and writes nothing.
    With `dry_run`, the outcome's pages are those that would be written.

    Raises:
        StorageError: a page would name an object the storage lacks (the feeds' guard).
    """
    from showpipe.commands.run import Outcome, build_pages, run_locked
    from showpipe.model.project import load_project
    from showpipe.model.published import due_episodes
    from showpipe.publishing.guard import check_named_objects, named_files
    from showpipe.publishing.plan import plan_pages_only
    from showpipe.web.site import changed_pages

    project = load_project(run.settings)

    def make_plan() -> Plan:
        plan = plan_pages_only(project, run.storage)
        named = named_files(due_episodes(project, plan.manifest, run.now), plan.manifest, project)
        check_named_objects(named, [], run.storage)
        return plan

    if dry_run:
        plan = make_plan()
        pages = changed_pages(run.storage, build_pages(run, plan))
        return Outcome(plan, wrote=False, pages=[page.key for page in pages])
    return run_locked(run, "site", make_plan)
