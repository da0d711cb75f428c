"""`showpipe storage gc`: leftovers listed, and deleted only under the lock and lease."""

from __future__ import annotations

from datetime import timedelta

from showpipe.commands.locked import exclusive_run
from showpipe.commands.run import Run
from showpipe.publishing.cleanup import Leftovers, find_leftovers, remove_leftovers


def collect_garbage(run: Run, *, older_than: timedelta, delete: bool) -> Leftovers:
    """The objects no episode or feed uses and the abandoned uploads; with `delete`, removed.

    Deleting looks under the lock and lease: a publish running meanwhile has objects stored
    that its manifest does not name yet.
    """
    if not delete:
        return find_leftovers(run.storage, now=run.now, older_than=older_than)
    with exclusive_run(run, "storage gc"):
        found = find_leftovers(run.storage, now=run.now, older_than=older_than)
        remove_leftovers(found, run.storage)
    return found
