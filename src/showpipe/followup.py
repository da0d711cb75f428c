"""What follows a run that changed the feeds: the show's web pages, then telling apps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from showpipe import __version__
from showpipe.notify import announce
from showpipe.publish import Plan
from showpipe.site import Page, build_site, changed_pages, write_site
from showpipe.storage import Storage


def site_pages(plan: Plan, *, now: datetime) -> list[Page]:
    """The show's pages as the plan leaves the show.

    Built once per run: the same pages are checked (`site_is_current`) and written
    (`refresh_site`).
    """
    return build_site(plan.project, plan.manifest, now=now)


def site_is_current(storage: Storage, pages: Sequence[Page]) -> bool:
    """True when no page of the show's site would change (one read of the site's index)."""
    return not changed_pages(storage, pages)


def refresh_site(storage: Storage, pages: Sequence[Page]) -> None:
    """Rewrite the pages that changed (under the run's lock)."""
    write_site(storage, pages)


def announce_changes(plan: Plan) -> list[str]:
    """Notify hubs of each changed feed; return the warnings (they never fail a run)."""
    feeds = {feed.name: feed for feed in plan.project.feeds}
    changed = [(feeds[update.name], update.url) for update in plan.feeds if update.changed]
    return announce(changed, user_agent=f"showpipe/{__version__}")
