"""`showpipe site`: return at once when nothing the pages are made from changed, else write
the pages that changed.

As `showpipe feeds` does, this module imports only what the no-change check needs
(web/refresh.py); the project, the templates and the run's machinery load only when there is
work to do, so an unchanged 5,000-episode show finishes well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from showpipe.web.refresh import site_fingerprint, site_is_current

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
    if dry_run:
        return build_show_site(open_run(), dry_run=True)
    # Taken before the project is read: an edit made meanwhile is built next time.
    before = site_fingerprint(settings, storage)
    if site_is_current(settings, storage, before, now=now):
        return None  # nothing the pages are made from changed: the project is not even loaded
    return build_show_site(open_run(), fingerprint=before)


def build_show_site(run: Run, *, dry_run: bool = False, fingerprint: str | None = None) -> Outcome:
    """Write the show's pages that changed; an unchanged site takes no lock and writes nothing.
    With `dry_run`, the outcome's pages are those that would be written.

    With `fingerprint` (`site_fingerprint`, taken before the project was read), the run also
    records what its pages were made from, under the lock: with the pages, in the one write
    of the site index, or alone when no page changed.

    Raises:
        StorageError: a page would name an object the storage lacks (the feeds' guard).
    """
    from showpipe.commands.locked import build_pages, exclusive_run, run_locked
    from showpipe.commands.run import Outcome
    from showpipe.model.project import load_project
    from showpipe.model.published import due_episodes
    from showpipe.parallel import start_workers
    from showpipe.publishing.guard import check_named_objects, named_files
    from showpipe.publishing.plan import plan_pages_only
    from showpipe.web.refresh import site_inputs
    from showpipe.web.siteindex import changed_pages, record_inputs, stored_inputs

    if not dry_run:
        # While the project loads, in case there are many pages to render.
        start_workers(["showpipe.web.site", "markdown_it"])
    project = load_project(run.settings)

    def make_plan() -> Plan:
        plan = plan_pages_only(project, run.storage)
        named = named_files(due_episodes(project, plan.manifest, run.now), plan.manifest, project)
        check_named_objects(named, [], run.storage)
        return plan

    if dry_run:
        plan = make_plan()
        pages = changed_pages(run.storage, build_pages(run, plan), memo=run.site_index)
        return Outcome(plan, wrote=False, pages=[page.key for page in pages])
    inputs = None if fingerprint is None else site_inputs(fingerprint, project, now=run.now)
    outcome = run_locked(run, "site", make_plan, site_inputs=inputs)
    memo = run.site_index
    if inputs is not None and not outcome.wrote and stored_inputs(run.storage, memo=memo) != inputs:
        with exclusive_run(run, "site"):
            record_inputs(run.storage, inputs, memo=memo)
    return outcome
