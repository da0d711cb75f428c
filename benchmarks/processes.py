"""Running a benchmark's contender as a process: wall and CPU time, and its tree's peak memory.

CPU time comes from `wait4`, whose figures include every descendant the process waited for
(showpipe's encoding workers). Peak RSS is sampled: every 50 ms the resident sizes of the
process and all its descendants (found through /proc/*/stat) are added up and the largest sum
kept. RSS counts a library mapped by several processes once per process, so its sum overstates
what the tree holds; PSS (/proc/PID/smaps_rollup) divides each shared page among the processes
mapping it, so its sum is the tree's real share of memory. A peak under 50 ms may be missed.
"""

from __future__ import annotations

import compileall
import ctypes
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds, the process and its waited-for descendants
    tree_rss_mb: float  # the largest sampled sum of the tree's resident sizes
    tree_pss_mb: float  # the same with shared pages divided among the processes sharing them
    largest_rss_mb: float  # the largest single process's peak (wait4's ru_maxrss)
    stdout: str
    stderr: str
    load: tuple[float, float]  # 1-minute load average before and after


def _parents() -> dict[int, int]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def tree_memory_mb(root: int) -> tuple[float, float]:
    """The summed RSS and PSS of `root` and its descendants, in MB."""
    parents = _parents()
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    rss = pss = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith(("Rss:", "Pss:")):
                    kb = int(line.split()[1])
                    rss, pss = (rss + kb, pss) if line[0:2] == "Rs" else (rss, pss + kb)
        except (OSError, ValueError):
            continue  # gone meanwhile
    return rss / 1024, pss / 1024


def run_measured(args: list[str], *, env: dict[str, str] | None = None) -> Run:
    """Run `args` to its end, sampling its tree's memory; raises if it fails."""
    before = os.getloadavg()[0]
    peak = [0.0, 0.0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        done = threading.Event()
        sampler = threading.Thread(target=_sample, args=(process.pid, peak, done))
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode:
        raise RuntimeError(f"{args[0]} failed:\n{stderr[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    load = (before, os.getloadavg()[0])
    return Run(wall, cpu, peak[0], peak[1], usage.ru_maxrss / 1024, stdout, stderr, load)


def _sample(pid: int, peak: list[float], done: threading.Event) -> None:
    while not done.wait(SAMPLE_SECONDS):
        rss, pss = tree_memory_mb(pid)
        peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)


def compile_showpipe() -> None:
    """Compile showpipe's modules, as installing it does (pip compiles a package's modules as
    it installs them): in a development checkout under PYTHONDONTWRITEBYTECODE, every timed
    run would otherwise compile them again, about 70 ms a run."""
    import showpipe

    compileall.compile_dir(Path(showpipe.__file__).parent, quiet=1)


def adopt_orphans() -> None:
    """Become the parent of the processes a run leaves behind (its fork server, which the
    page workers are children of), so their CPU time counts in ours once reaped (Linux only)."""
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans() -> None:
    """Wait for every adopted process, which adds its CPU time to RUSAGE_CHILDREN."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
