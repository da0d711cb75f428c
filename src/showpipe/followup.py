"""What follows a run that changed the feeds: the show's web pages, then telling apps."""

from __future__ import annotations

from datetime import datetime

from showpipe import __version__
from showpipe.notify import announce
from showpipe.project import Project
from showpipe.publish import Plan
from showpipe.site import build_site, write_site
from showpipe.storage import Storage


def after_publishing(project: Project, storage: Storage, plan: Plan, *, now: datetime) -> list[str]:
    """Rewrite the show page and embeds, then notify hubs of each changed feed.

    Returns the notification warnings (a failed notification never fails a publish).
    """
    write_site(storage, build_site(project, plan.manifest, now=now))
    feeds = {feed.name: feed for feed in project.feeds}
    changed = [(feeds[update.name], update.url) for update in plan.feeds if update.changed]
    return announce(changed, user_agent=f"showpipe/{__version__}")
