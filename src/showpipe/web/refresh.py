"""`showpipe site`: return at once when nothing the pages are made from changed.

A show of thousands of episodes takes seconds to load and validate, so, as `showpipe feeds`
does, a run first hashes its inputs (the YAML bytes, the feed artwork, the manifest, the
settings, showpipe's version: `fingerprint`) and compares them, and the clock, with what
the last full run recorded in the site index. This module imports only what that check
needs; the project, the templates and the feed code load only when there is work to do.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from showpipe.config import Settings
from showpipe.publishing.feedstate import FeedsState, due_window, fingerprint, input_digests
from showpipe.storage import Storage
from showpipe.web.siteindex import IndexMemo, code_digest, stored_inputs

if TYPE_CHECKING:
    from showpipe.model.project import Project


def site_fingerprint(settings: Settings, storage: Storage) -> str:
    """The feeds' fingerprint of the inputs, plus the page code and templates."""
    return f"{fingerprint(settings, input_digests(settings, storage).digests)}-{code_digest()}"


def site_is_current(
    settings: Settings, storage: Storage, fingerprint: str, *, now: datetime
) -> bool:
    """True when the last `showpipe site` saw these very inputs (`site_fingerprint`), and the
    same episodes due."""
    # Known by the index's version when this machine read or wrote it at that version: in S3
    # a HEAD request, where a big show's index is a download of megabytes on every run.
    recorded = stored_inputs(storage, memo=IndexMemo.of(settings.cache_dir))
    try:
        state = FeedsState(**recorded)
    except TypeError:
        return False  # none recorded (publish and feeds write pages without it), or damaged
    return state.covers(now) and state.fingerprint == fingerprint


def site_inputs(fingerprint: str, project: Project, *, now: datetime) -> dict[str, Any]:
    """What to record of the inputs hashed as `fingerprint` (taken before the project was
    read, so an edit made meanwhile is built next time), for the site index."""
    window = due_window((e.published for e in project.episodes), now)
    return asdict(FeedsState(fingerprint, *window, feeds={}))
