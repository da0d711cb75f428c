"""Rendering thousands of pages on every core.

A cold build of a big show renders three pages per episode, each from its own inputs, so the
work splits cleanly. The main process and worker processes (one per other core) share it:
the pages are cut into runs of neighbours, queued for the workers, and the main process takes
runs from the far end of the queue until it meets one a worker has started. Neither side
waits on the other, however long the workers take to start. Workers come from a fork server,
never forked from this process: a run that holds the lease has a renewal thread, which a
fork would copy mid-step.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

# From this many pages to render, other cores help; fewer render faster than workers start.
PARALLEL_FROM = 2000
# Pages per run handed out: neighbours share their episode's view and a pickled copy of it.
RUN_LENGTH = 150

Render = Callable[[], bytes]


def render_all(renders: Sequence[Render], *, parallel_from: int = PARALLEL_FROM) -> list[bytes]:
    """Call each of `renders` (picklable: module-level functions and partials of them) and
    return what they return, in order, on every core when there are many."""
    workers = (os.cpu_count() or 1) - 1
    if len(renders) < parallel_from or workers < 1:
        return _render_run(renders)
    runs = [renders[i : i + RUN_LENGTH] for i in range(0, len(renders), RUN_LENGTH)]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        queued: list[Future[list[bytes]]] = [pool.submit(_render_run, run) for run in runs]
        done: dict[int, list[bytes]] = {}
        for number in reversed(range(len(runs))):
            if not queued[number].cancel():
                break  # a worker has it, and every run before it
            done[number] = _render_run(runs[number])
        return [page for n, f in enumerate(queued) for page in done.get(n) or f.result()]


def _render_run(renders: Sequence[Render]) -> list[bytes]:
    return [render() for render in renders]
