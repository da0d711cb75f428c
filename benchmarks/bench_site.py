"""`showpipe site` on a show of many published episodes, against writing the same bytes.

Uses bench_feeds' project of SHOWPIPE_BENCH_EPISODES episodes (default 5,000), published as
cron leaves it (a manifest, no media). Side by side in one run, it times:

- `showpipe site`, cold: no page stored yet, so every page is rendered and written
  (per episode a page, an embed and an oEmbed response; the show page, the archive,
  sitemap.xml, robots.txt, 404.html); target <= 10 s;
- the baseline: writing the same files with the same bytes from memory, in one process
  (the floor any static-site step pays for its output);
- `showpipe site` again with nothing changed: it must print and write nothing; target < 1 s;
- `showpipe site` after one episode's title changed: the pages written are listed.

Each figure is the best of SHOWPIPE_BENCH_REPEAT runs (default 3) of a fresh process.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_feeds import make_show
from processes import adopt_orphans, compile_showpipe, reap_orphans

PAGE_FOLDERS = ("episodes", "embed", "oembed", "archive")
PAGE_FILES = ("index.html", "404.html", "sitemap.xml", "robots.txt", "showpipe/site.json")


CPU: dict[str, list[float]] = {"cold": [], "quiet": []}
# The CPU time of the `showpipe` process alone, without its workers': on an idle machine
# with a core per process, the wall clock cannot be shorter.
MAIN_CPU: dict[str, list[float]] = {"cold": [], "quiet": []}


def _timed(command: list[str], root: Path, cpu: str = "") -> tuple[float, str]:
    """Wall seconds and output of a fresh process; its CPU seconds (its workers' too) go to
    CPU[cpu], since on a shared machine the wall clock also counts other people's work."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    main = resource.getrusage(resource.RUSAGE_CHILDREN)
    reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu:
        CPU[cpu].append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        MAIN_CPU[cpu].append(main.ru_utime + main.ru_stime - used.ru_utime - used.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def _remove_site(public: Path) -> None:
    for name in PAGE_FOLDERS:
        shutil.rmtree(public / name, ignore_errors=True)
    for name in PAGE_FILES:
        (public / name).unlink(missing_ok=True)


def _pages(public: Path) -> dict[str, bytes]:
    found = {
        p.relative_to(public).as_posix(): p.read_bytes()
        for n in PAGE_FOLDERS
        for p in (public / n).glob("*")
    }
    found.update({n: (public / n).read_bytes() for n in PAGE_FILES})
    return found


def _write_baseline(pages: dict[str, bytes], folder: Path) -> float:
    """Seconds to write `pages` as plain files: the same keys, the same bytes."""
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    for key, data in pages.items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return time.perf_counter() - start


def _mtimes(public: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()}


def main() -> None:
    compile_showpipe()
    adopt_orphans()
    count = int(os.environ.get("SHOWPIPE_BENCH_EPISODES", "5000"))
    repeat = int(os.environ.get("SHOWPIPE_BENCH_REPEAT", "3"))
    # At the real time: every generated episode is long due (a --now run only previews).
    showpipe = [str(Path(sys.executable).with_name("showpipe")), "site"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_show(root, count)
        edited = min(2007, count // 2)  # an episode in the middle, on a smaller show too
        public = root / "public"
        cold, base, quiet, touched = [], [], [], []
        for _ in range(repeat):
            _remove_site(public)
            elapsed, printed = _timed(showpipe, root, "cold")
            cold.append(elapsed)
            pages = _pages(public)
            base.append(_write_baseline(pages, root / "baseline"))
            before = _mtimes(public)
            elapsed, printed = _timed(showpipe, root, "quiet")
            assert printed == "", f"a no-change run printed {printed!r}"
            assert _mtimes(public) == before, "a no-change run wrote files"
            quiet.append(elapsed)
            path = root / "episodes" / f"ep{edited:05d}.yaml"
            title = f"Episode {edited}:"
            path.write_text(path.read_text().replace(title, f"Episode {edited} (edited):"))
            elapsed, printed = _timed(showpipe, root)
            touched.append(elapsed)
            rewritten = sorted(line.rsplit("/", 1)[-1] for line in printed.splitlines())
            path.write_text(path.read_text().replace(" (edited)", ""))
            _timed(showpipe, root)
        size = sum(len(b) for b in pages.values())
    print(f"episodes: {count}; pages: {len(pages)}, {size / 1e6:.1f} MB; best of {repeat}")
    print(f"showpipe site, cold (every page):        {min(cold):7.2f} s   (target <= 10)")
    print(f"  its CPU time, workers too:             {min(CPU['cold']):7.2f} s")
    print(f"  the CPU time of its main process:      {min(MAIN_CPU['cold']):7.2f} s")
    print(f"load average (1 min) at the end:         {os.getloadavg()[0]:7.2f}")
    print(f"baseline: write the same bytes:          {min(base):7.2f} s")
    print(f"ratio showpipe / baseline:               {min(cold) / min(base):7.2f} x")
    print(
        f"showpipe site, nothing changed:         {min(quiet):7.2f} s   (target < 1, wrote nothing)"
    )
    print(f"  its CPU time (user + system):          {min(CPU['quiet']):7.2f} s")
    print(f"showpipe site, one episode edited:       {min(touched):7.2f} s")
    print(f"  pages rewritten ({len(rewritten)}): {' '.join(rewritten)}")


if __name__ == "__main__":
    main()
