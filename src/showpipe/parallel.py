"""Doing thousands of things on every core: episode files, descriptions and items, pages,
the read-back of big feeds.

A cold build of a big show validates every episode file and renders three pages, a
description and an item per episode, each from its own inputs, so the work splits cleanly. The
main process and worker processes (one per other core) share it (`WorkPool`): the work is
queued for the workers, and the results come back in order, for the main process to use
(store a page) as they come. Whenever the next result is not back yet, the main process does
the last job no worker has started, rather than wait; so neither side waits on the other,
however long the workers take to start. Workers come from a fork server, never forked from
this process: a run that holds the lease has a renewal thread, which a fork would copy
mid-step.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Generic, TypeVar

from showpipe.errors import WorkerError

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

# From this many things to render, other cores help; fewer render faster than workers start.
PARALLEL_FROM = 2000
# From this many episode files to validate, they are validated on every core
# (`model.loading`). Kept here, so that a run can tell before it imports the models.
PARALLEL_LOAD_FROM = 1000
# Things per run handed out: neighbouring pages share their episode's view and a pickled copy.
RUN_LENGTH = 150

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on: a container or `taskset` may allow fewer than the
    machine has, and a worker per core it cannot use would only queue behind the others."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_workers(preload: list[str]) -> None:
    """Start the fork server the workers come from, importing the `preload` modules in it,
    so that workers start ready when they are needed. Called before the project is loaded,
    it starts on another core meanwhile."""
    if cores() > 1:
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
    if len(renders) < parallel_from or cores() < 2:
        yield from (render() for render in renders)
        return
    with WorkPool[list[T]](processes=True) as pool:
        for i in range(0, len(renders), run_length):
            pool.submit(partial(_render_run, renders[i : i + run_length]))
        for rendered in pool.results():
            yield from rendered


def _render_run(renders: Sequence[Callable[[], T]]) -> list[T]:
    return [render() for render in renders]


class WorkPool(Generic[T]):
    """Jobs done beside the main process, which takes its share when it asks for results.

    With `processes` (and more than one core), by worker processes from the fork server, one
    per other core; else by the main process alone, as it asks for the results (a thread
    would gain nothing: the jobs are Python code, which runs one thread at a time). Jobs may
    be submitted while the main process does other work (builds the next feed); `results`
    then gives theirs in order. The pool starts with the first job: a run with nothing to
    hand out starts none.
    """

    def __init__(self, *, processes: bool) -> None:
        self.processes = processes and cores() > 1
        self._executor: Executor | None = None
        self._queued: list[tuple[Callable[[], T], Future[T]]] = []
        self._here: list[Callable[[], T]] = []  # without processes
        self._broken = False  # a worker ended abruptly

    def submit(self, job: Callable[[], T]) -> None:
        """Queue `job` (picklable with `processes`: module-level functions, partials of them,
        methods of picklable objects)."""
        if not self.processes:
            self._here.append(job)
            return
        from concurrent.futures.process import BrokenProcessPool

        if self._executor is None:
            self._executor = _executor()
        try:
            self._queued.append((job, self._executor.submit(job)))
        except BrokenProcessPool:
            raise self._worker_lost() from None

    def results(self) -> Iterator[T]:
        """What each job returned, in the order they were submitted. While the next is not
        back, the main process does the last job no worker has started.

        Raises:
            Exception: what the first failed job raised (in order), in its place in the order.
        """
        for job in self._here:
            yield job()  # in its place in the order, or its error
        if self._queued:
            yield from self._workers_results()

    def _workers_results(self) -> Iterator[T]:
        # Imported only here: a run whose pool handed nothing out (a `publish` on a big
        # show) would import multiprocessing's queues for nothing, about 4 ms.
        from concurrent.futures.process import BrokenProcessPool

        queued, mine = self._queued, {}
        last = len(queued)  # the jobs from `last` on are the main process's
        for number in range(len(queued)):
            while number < last and not queued[number][1].done() and queued[last - 1][1].cancel():
                last -= 1
                mine[last] = _done_here(queued[last][0])
            try:
                yield (mine.pop(number) if number in mine else queued[number][1]).result()
            except BrokenProcessPool:
                raise self._worker_lost() from None

    def _worker_lost(self) -> WorkerError:
        self._broken = True
        return WorkerError(
            "a worker process ended abruptly (killed, or out of memory?), so the run stopped "
            "before writing anything more; run it again"
        )

    def __enter__(self) -> WorkPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is None:
            return
        if self._broken:
            # A job may be stuck half-sent to the dead worker, its pipe still open in the fork
            # server: waiting at exit for it to be sent would hang the process (a cron run
            # holding its lock) for good. The jobs are lost either way.
            call_queue = getattr(self._executor, "_call_queue", None)
            if call_queue is not None:
                call_queue.cancel_join_thread()
            # Its futures are failed by the executor's own thread: cancelling them too races
            # with it (Python 3.11 then prints an InvalidStateError from that thread).
            self._executor.shutdown(wait=False)
            return
        self._executor.shutdown(cancel_futures=True)  # at once, if the caller stopped early


def _executor() -> Executor:
    # Only here: most runs hand out nothing, and need neither module.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    _quiet_a_known_race()
    # Workers collect garbage as this process does: they come from the fork server, a new
    # interpreter with Python's defaults, which suit a big show's work badly (the CLI's
    # reason is at its `gc.set_threshold`).
    return ProcessPoolExecutor(
        cores() - 1,  # the main process works too
        mp_context=context,
        initializer=gc.set_threshold,
        initargs=gc.get_threshold(),
    )


def _quiet_a_known_race() -> None:
    """On Python 3.11, when a worker dies, the executor's thread fails every pending job, and
    stops with an InvalidStateError at one the main process had cancelled to do it itself
    (fixed in 3.12, which ignores it there). The run reports the dead worker (`WorkerError`);
    that thread's traceback would only bury the message."""
    import sys
    import threading

    if sys.version_info >= (3, 12) or getattr(threading.excepthook, "_showpipe", False):
        return
    from concurrent.futures import InvalidStateError

    shown = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        manager = type(args.thread).__name__ == "_ExecutorManagerThread"
        if not (manager and isinstance(args.exc_value, InvalidStateError)):
            shown(args)

    hook._showpipe = True  # type: ignore[attr-defined]
    threading.excepthook = hook


def _done_here(job: Callable[[], T]) -> Future[T]:
    """`job` done in this process, its result or error held as a worker's would be."""
    from concurrent.futures import Future

    done: Future[T] = Future()
    try:
        done.set_result(job())
    except Exception as e:  # raised in its place in the order, as a worker's error is
        done.set_exception(e)
    return done
