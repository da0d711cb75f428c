"""What a command runs with (`Run`) and what it did (`Outcome`).

Kept apart from the routine in `commands/locked.py`, and light to import: cron's
`showpipe feeds` makes a `Run`, then most often finds nothing to do and returns before
the pydantic models, feedgen and the templates are loaded at all.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from showpipe.config import Settings
from showpipe.storage import ProgressBars, Storage, no_progress

if TYPE_CHECKING:
    from showpipe.feeds import Descriptions
    from showpipe.publishing.plan import Plan
    from showpipe.publishing.uploads import Upload
    from showpipe.web.siteindex import IndexMemo


@dataclass(frozen=True)
class Run:
    """What a command runs with: the project's settings, its storage, and one reading of the
    clock, so that the feeds and the pages of a run list the same episodes."""

    settings: Settings
    storage: Storage
    now: datetime
    # How a run reports long work; the CLI passes progress bars on a terminal.
    progress: ProgressBars = no_progress
    on_upload: Callable[[Upload], None] = lambda upload: None
    # Wraps each step of the run (`with run.step("plan"):`); the CLI times them for -v.
    step: Callable[[str], AbstractContextManager[None]] = lambda name: nullcontext()

    @cached_property
    def descriptions(self) -> Descriptions:
        """The run's descriptions rendered to HTML, shared by its feeds and its pages."""
        from showpipe.feeds import Descriptions

        return Descriptions()

    @cached_property
    def site_index(self) -> IndexMemo:
        """The site index as this machine last read or wrote it, shared by the run's
        readings of it (before the lock and under it) and kept for the next run."""
        from showpipe.web.siteindex import IndexMemo

        return IndexMemo.of(self.settings.cache_dir)


@dataclass(frozen=True)
class Outcome:
    """What a run did: the plan it carried out, the pages it wrote, and notify's warnings."""

    plan: Plan
    wrote: bool
    # The files sent: those a killed run had stored whole already were not.
    uploaded: list[Upload] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
