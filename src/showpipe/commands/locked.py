"""The one routine every writing command runs on.

plan -> take the project's lock and the storage's lease -> re-plan under them if another run
changed the storage meanwhile -> run the plan -> write the pages -> notify apps.

Planning changes nothing, so bad input stops a run before any lock is taken, and a plan that
changes nothing (no upload, no feed, no page) takes no lock and writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from showpipe.commands.run import Outcome, Run
from showpipe.publishing.lock import Held, exclusive
from showpipe.publishing.notify import announce_changes
from showpipe.publishing.plan import Plan, plan_is_current, run_plan
from showpipe.web.site import Site, build_site, pages_change, write_site


@contextmanager
def exclusive_run(run: Run, command: str) -> Iterator[Held]:
    """The project's lock and the storage's lease. The lease is timed by the real clock, not
    by the run's (which may be --now)."""
    with exclusive(run.settings.state_dir, run.storage, command, now=datetime.now(UTC)) as held:
        yield held


def build_pages(run: Run, plan: Plan) -> Site:
    """The show's pages as the plan leaves the show."""
    return build_site(
        plan.project, plan.manifest, now=run.now, descriptions=run.descriptions, due=plan.due
    )


def run_locked(
    run: Run,
    command: str,
    make_plan: Callable[[], Plan],
    *,
    refuse: Callable[[Plan], None] = lambda plan: None,
    under_lock: Callable[[Plan, str | None], None] = lambda plan, manifest_version: None,
    site_inputs: Mapping[str, Any] | None = None,
) -> Outcome:
    """Plan, then carry the plan out under the lock and lease, then notify apps.

    `make_plan` must only read: it is called once before the lock, and again under it when
    another run replaced the storage's manifest in between, so the run builds on that run's
    work instead of undoing it. `refuse(plan)` may raise to stop the run under the lock,
    before anything is written (so that a run in progress elsewhere is named first);
    `under_lock(plan, manifest_version)` runs last while the lock is still held, with the
    version of the manifest as the run leaves it. `site_inputs` are recorded
    in the site index with the pages (`showpipe site`'s no-change check).

    Raises:
        ShowpipeError: bad input (before anything is changed), a busy or lost lease, or a
            storage failure.
    """
    with run.step("plan: check, tag and build the feeds"):
        plan = make_plan()
    with run.step("build the pages"):
        pages = build_pages(run, plan)
    if not plan.changes_anything and not pages_change(run.storage, pages, memo=run.site_index):
        return Outcome(plan, wrote=False)
    with exclusive_run(run, command) as held:
        if not plan_is_current(plan, run.storage):
            plan = make_plan()
            pages = build_pages(run, plan)
        refuse(plan)
        with run.step("upload, then write the manifest and the feeds"):
            ran = run_plan(
                plan,
                run.storage,
                on_upload=run.on_upload,
                progress=run.progress,
                before_recording=held.confirm,
            )
        with run.step("write the pages"):
            written = write_site(run.storage, pages, inputs=site_inputs, memo=run.site_index)
        under_lock(plan, ran.manifest_version)
    with run.step("notify"):
        warnings = announce(plan)
    return Outcome(plan, True, ran.uploaded, written, warnings=warnings)


def announce(plan: Plan) -> list[str]:
    """Tell podcast apps about the feeds the plan changed; return the warnings."""
    feeds = {feed.name: feed for feed in plan.project.feeds}
    return announce_changes([(feeds[u.name], u.url) for u in plan.feeds if u.changed])
