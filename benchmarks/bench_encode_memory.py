"""Peak memory of encoding a long master: showpipe's side of bench_encode.py on 3 hours.

The issue's limit: peak RSS under 300 MB for a 3-hour 48 kHz 24-bit stereo WAV (about 3 GB),
since the master is streamed, never held in memory. The master is generated on disk in a
temporary folder (deleted after); showpipe's side runs in a fresh process exactly as in
bench_encode.py (the master measured once, MP3 128k and Opus 64k encoded in parallel worker
processes, both tagged). The whole process tree's RSS and PSS are sampled as
benchmarks/processes.py describes. SHOWPIPE_BENCH_HOURS (default 3) changes the length.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_encode import make_master, print_showpipe, warm
from processes import run_measured

HOURS = float(os.environ.get("SHOWPIPE_BENCH_HOURS", "3"))
LIMIT_MB = 300


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-encode-memory-") as folder:
        work = Path(folder)
        master = work / "master.wav"
        start = time.perf_counter()
        make_master(master, HOURS * 60)
        print(f"master: {HOURS:g} h, 48 kHz 24-bit stereo WAV, {master.stat().st_size / 1e9:.2f}"
              f" GB (made in {time.perf_counter() - start:.0f} s)")  # fmt: skip
        warm(master)
        side = Path(__file__).with_name("bench_encode.py")
        env = os.environ | {"SHOWPIPE_BENCH_MINUTES": str(HOURS * 60)}
        run = run_measured(
            [sys.executable, str(side), "--showpipe-side", str(master), folder], env=env
        )
        print_showpipe(run, json.loads(run.stdout.splitlines()[-1]))
        verdict = "ok" if run.tree_rss_mb < LIMIT_MB else "OVER the limit"
        print(f"peak RSS of the whole tree {run.tree_rss_mb:.0f} MB (PSS {run.tree_pss_mb:.0f} MB)"
              f", target under {LIMIT_MB} MB: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
