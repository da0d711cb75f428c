"""Telling podcast apps that a feed changed: WebSub hubs, Podping, the Podcast Index.

A notification only saves apps a polling interval, so a failure is a warning, never a
reason to fail a publish that has already succeeded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from showpipe.http import new_session
from showpipe.model.show import Feed

if TYPE_CHECKING:  # requests is imported when a feed asks for notifications, not on every run
    import requests

log = logging.getLogger(__name__)

# Overridable (SHOWPIPE_PODPING_URL, SHOWPIPE_PUBNOTIFY_URL) for relays and for tests.
PODPING_URL = "https://podping.cloud/"
PUBNOTIFY_URL = "https://api.podcastindex.org/api/1.0/hub/pubnotify"


def _request(session: requests.Session, method: str, url: str, **kwargs: object) -> str | None:
    """Send one notification; return a warning, or None when it was accepted."""
    import requests

    try:
        response = session.request(method, url, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as e:
        return f"{url}: not notified ({type(e).__name__})"
    if response.status_code >= 300:
        return f"{url}: not notified (HTTP {response.status_code})"
    return None


def notify_feed_changed(feed: Feed, feed_url: str, session: requests.Session) -> list[str]:
    """Notify everyone the feed names that `feed_url` changed; return the warnings."""
    warnings = []
    for hub in feed.notify.websub:
        # W3C WebSub §7: the publisher POSTs hub.mode=publish with the topic URL.
        data = {"hub.mode": "publish", "hub.url": feed_url}
        warnings.append(_request(session, "POST", hub, data=data))
    if feed.notify.podping:
        token = os.environ.get("SHOWPIPE_PODPING_TOKEN")
        if not token:
            warnings.append("Podping: set SHOWPIPE_PODPING_TOKEN to notify it")
        else:
            medium = "video" if feed.medium == "video" else "podcast"
            params = {"url": feed_url, "reason": "update", "medium": medium}
            headers = {"Authorization": token}
            url = os.environ.get("SHOWPIPE_PODPING_URL", PODPING_URL)
            warnings.append(_request(session, "GET", url, params=params, headers=headers))
    if feed.notify.podcast_index:
        url = os.environ.get("SHOWPIPE_PUBNOTIFY_URL", PUBNOTIFY_URL)
        warnings.append(_request(session, "GET", url, params={"url": feed_url}))
    return [w for w in warnings if w]


def announce_changes(changed: Sequence[tuple[Feed, str]]) -> list[str]:
    """Notify for every changed feed (the feed and its public URL); return the warnings."""
    warnings: list[str] = []
    if not any(f.notify.websub or f.notify.podping or f.notify.podcast_index for f, _ in changed):
        return warnings
    with new_session("notify") as session:
        for feed, url in changed:
            warnings += notify_feed_changed(feed, url, session)
    for warning in warnings:
        log.warning("%s", warning)
    return warnings
