"""Rendering thousands of things on every core: pages, Markdown descriptions.

A cold build of a big show renders three pages per episode and a description per episode,
each from its own inputs, so the work splits cleanly. The main process and worker processes
(one per other core) share it: the work is cut into runs of neighbours and queued for the
workers, and the results come back in order, for the main process to use (store a page) as
they come. Whenever the next run is not back yet,
the main process renders the last run no worker has started, rather than wait; so neither
side waits on the other, however long the workers take to start. Workers come from a fork
server, never forked from this process: a run that holds the lease has a renewal thread,
which a fork would copy mid-step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

# From this many things to render, other cores help; fewer render faster than workers start.
PARALLEL_FROM = 2000
# Things per run handed out: neighbouring pages share their episode's view and a pickled copy.
RUN_LENGTH = 150

T = TypeVar("T")


def start_workers(preload: list[str]) -> None:
    """Start the fork server the workers come from, importing the `preload` modules in it,
    so that workers start ready when they are needed. Called before the project is loaded,
    it starts on another core meanwhile."""
    if (os.cpu_count() or 1) > 1:
        import multiprocessing.forkserver  # only here: most runs start no worker

        multiprocessing.get_context("forkserver").set_forkserver_preload(preload)
        multiprocessing.forkserver.ensure_running()


def render_each(
    renders: Sequence[Callable[[], T]],
    *,
    parallel_from: int = PARALLEL_FROM,
    run_length: int = RUN_LENGTH,
) -> Iterator[T]:
    """Call each of `renders` (picklable: module-level functions and partials of them) and
    yield what they return, in order, on every core when there are many (handed out in
    runs of `run_length`)."""
    workers = (os.cpu_count() or 1) - 1
    if len(renders) < parallel_from or workers < 1:
        yield from (render() for render in renders)
        return
    import multiprocessing  # only here: most runs render too little to start workers
    from concurrent.futures import ProcessPoolExecutor

    runs = [renders[i : i + run_length] for i in range(0, len(renders), run_length)]
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))
    try:
        queued: list[Future[list[T]]] = [pool.submit(_render_run, run) for run in runs]
        mine: dict[int, list[T]] = {}
        last = len(runs)  # the runs from `last` on are the main process's
        for number in range(len(runs)):
            while number < last - 1 and not queued[number].done() and queued[last - 1].cancel():
                last -= 1
                mine[last] = _render_run(runs[last])
            yield from mine.pop(number) if number in mine else queued[number].result()
    finally:
        pool.shutdown(cancel_futures=True)  # at once, if the caller stopped early


def _render_run(renders: Sequence[Callable[[], T]]) -> list[T]:
    return [render() for render in renders]
