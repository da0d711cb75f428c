"""What follows a run that changed the feeds: the show's web pages, then telling apps."""

from __future__ import annotations

from datetime import datetime

from showpipe import __version__
from showpipe.notify import announce
from showpipe.publish import Plan
from showpipe.site import build_site, changed_pages, write_site
from showpipe.storage import Storage


def refresh_site(plan: Plan, storage: Storage, *, now: datetime) -> None:
    """Rewrite the show page and embeds the plan changes (under the run's lock)."""
    write_site(storage, build_site(plan.project, plan.manifest, now=now))


def site_is_current(plan: Plan, storage: Storage, *, now: datetime) -> bool:
    """True when no page of the show's site would change (one read of the site's index)."""
    return not changed_pages(storage, build_site(plan.project, plan.manifest, now=now))


def announce_changes(plan: Plan) -> list[str]:
    """Notify hubs of each changed feed; return the warnings (they never fail a run)."""
    feeds = {feed.name: feed for feed in plan.project.feeds}
    changed = [(feeds[update.name], update.url) for update in plan.feeds if update.changed]
    return announce(changed, user_agent=f"showpipe/{__version__}")
