"""Work shared by the main process and workers (`showpipe.parallel.WorkPool`): the results
come back in order, and an error comes back in its place, from a worker or from the main
process alike, whether the pool runs processes or only the main process."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from showpipe.parallel import WorkPool, cores


@pytest.mark.parametrize("processes", [True, False], ids=["processes", "main-process-only"])
def test_results_come_back_in_order(processes: bool) -> None:
    with WorkPool[int](processes=processes) as pool:
        for n in range(40):
            pool.submit(partial(pow, n, 2))
        assert list(pool.results()) == [n * n for n in range(40)]


@pytest.mark.parametrize("processes", [True, False], ids=["processes", "main-process-only"])
def test_the_first_error_in_order_is_raised_in_its_place(processes: bool) -> None:
    """Two jobs fail: the first in order is raised, once the results before it are given,
    wherever it ran (the last jobs are the main process's when no worker took them)."""
    jobs = [partial(pow, 3, 2), partial(int, "first"), partial(pow, 2, 3), partial(int, "last")]
    with WorkPool[int](processes=processes) as pool:
        for job in jobs:
            pool.submit(job)
        results = pool.results()
        assert next(results) == 9
        with pytest.raises(ValueError, match="'first'"):
            next(results)


def _where(n: int) -> tuple[int, int]:
    """Which process and thread did job `n`; the first keeps its worker busy a while."""
    if n == 0:
        time.sleep(0.5)
    return os.getpid(), threading.get_ident()


@pytest.mark.parametrize("processes", [True, False], ids=["processes", "main-process-only"])
def test_the_main_process_takes_the_jobs_no_worker_has_started(processes: bool) -> None:
    """While the first job keeps a worker busy, the main process does the last jobs itself
    rather than wait: it is never idle while work is queued."""
    with WorkPool[tuple[int, int]](processes=processes) as pool:
        for n in range(4 * (os.cpu_count() or 2) + 8):  # most still queued behind the first
            pool.submit(partial(_where, n))
        done_by = list(pool.results())
    assert done_by[-1] == (os.getpid(), threading.get_ident())


def _collection(started: Path) -> tuple[int, tuple[int, int, int]]:
    """Which process did the job, and its garbage collector's thresholds; `started` is made
    first, so that the test knows a worker took the job."""
    started.touch()
    return os.getpid(), gc.get_threshold()


@pytest.mark.skipif(cores() < 2, reason="one core: no worker")
def test_workers_collect_garbage_as_the_process_that_started_them(tmp_path: Path) -> None:
    """The CLI tunes the collector for a big show's work; the workers come from the fork
    server, a new interpreter, and must not fall back to Python's defaults."""
    before = gc.get_threshold()
    gc.set_threshold(12_345, 17, 19)
    started = tmp_path / "started"
    try:
        with WorkPool[tuple[int, tuple[int, int, int]]](processes=True) as pool:
            pool.submit(partial(_collection, started))
            deadline = time.monotonic() + 60
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.01)  # until a worker runs it: else the main process would
            [(pid, thresholds)] = list(pool.results())
    finally:
        gc.set_threshold(*before)
    assert pid != os.getpid()
    assert thresholds == (12_345, 17, 19)


def test_a_process_allowed_one_core_starts_no_worker() -> None:
    """`taskset`, or a container's CPU set, may allow a process fewer cores than the machine
    has: the pool counts those it may run on, and with one does every job itself."""
    script = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from showpipe.parallel import WorkPool, cores; "
        "print(cores(), WorkPool(processes=True).processes)"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert found.stdout.split() == ["1", "False"], found.stderr


def _end_abruptly(main_pid: int, payload: bytes) -> int:
    """In a worker, die as the kernel's OOM killer would leave it; in the main process, be a
    slow job, so that a worker starts and takes one first."""
    if os.getpid() != main_pid:
        os._exit(9)
    time.sleep(0.2)
    return len(payload)


@pytest.mark.skipif(cores() < 2, reason="needs a worker process")
def test_a_worker_that_dies_ends_the_run_with_an_error_not_a_hang() -> None:
    """A worker killed mid-run (out of memory) is reported as one error, and the process
    exits: Python 3.11's pool otherwise waited at exit for ever, a job of a megabyte stuck
    half-sent, and printed a traceback from its own thread. A cron run would have held its
    lock until someone killed it."""
    script = (
        f"import os, sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from functools import partial\n"
        "from showpipe.errors import WorkerError\n"
        "from showpipe.parallel import WorkPool\n"
        "from test_parallel import _end_abruptly\n"
        "try:\n"
        "    with WorkPool(processes=True) as pool:\n"
        "        for _ in range(30):\n"
        "            pool.submit(partial(_end_abruptly, os.getpid(), b'x' * 1_000_000))\n"
        "        list(pool.results())\n"
        "except WorkerError as e:\n"
        "    print('Error:', e)\n"
        "    sys.exit(3)\n"
    )
    ended = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert ended.returncode == 3, ended.stderr
    assert "a worker process ended abruptly" in ended.stdout
    assert "Traceback" not in ended.stderr, ended.stderr
