"""Peak memory of one `showpipe` command, run in a fresh process, and media with huge covers
(for tests and benchmarks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen.id3 as id3
import mutagen.mp4 as mp4

# Runs showpipe's CLI, then writes the process's own high-water mark (VmHWM, in KiB) to the
# file named first. VmHWM belongs to the process image, so unlike `ru_maxrss` it does not
# count what the forking parent held before `exec`.
MEASURED = """
import atexit, runpy, sys
target = sys.argv.pop(1)
def report():
    status = open("/proc/self/status").read()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    open(target, "w").write(peak.split()[1])
atexit.register(report)
sys.argv[0] = "showpipe"
runpy.run_module("showpipe", run_name="__main__")
"""


def peak_rss_mb(project: Path, *args: str) -> float:
    """Run `showpipe ARGS` in `project`; return its peak resident memory in MB.

    Raises:
        RuntimeError: the command failed (its stderr in the message).
    """
    report = project / ".peak-rss"
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, str(report), *args],
        cwd=project,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"showpipe {' '.join(args)} failed: {done.stderr}")
    peak = int(report.read_text()) / 1024
    report.unlink()
    return peak


def with_mp3_cover(source: Path, dest: Path, size: int) -> None:
    shutil.copy(source, dest)
    tag = id3.ID3(dest)
    tag.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=os.urandom(size)))
    tag.save(dest)


def with_mp4_cover(source: Path, dest: Path, size: int) -> None:
    shutil.copy(source, dest)
    parsed = mp4.MP4(dest)
    if parsed.tags is None:
        parsed.add_tags()
    assert parsed.tags is not None
    parsed.tags["covr"] = [mp4.MP4Cover(os.urandom(size), mp4.MP4Cover.FORMAT_JPEG)]
    parsed.save()
