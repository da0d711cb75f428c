"""`showpipe import` of a 2,000-item feed from a slow old host, against one-at-a-time lookups.

The old host is a local HTTP server that answers every request after 50 ms, as a distant
host would. Every enclosure of the feed has length 0, so each needs a HEAD lookup; each
item has its own image too, so one image per item is fetched. Side by side in one run:

- `showpipe import`, end to end, in a fresh process (target: under 10 s);
- parsing the feed and writing the YAML alone, in process, no network (target: under 3 s);
- the baseline: the same HEAD lookups made one at a time with requests (timed on a sample
  of SAMPLE items, scaled to the whole feed), i.e. what a sequential importer would take.

SHOWPIPE_BENCH_ITEMS (default 2000) and SHOWPIPE_BENCH_DELAY (default 0.05 s) change the
shape; each figure is the best of SHOWPIPE_BENCH_REPEAT runs (default 2).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from showpipe.config import load_settings
from showpipe.importer.show import plan_import
from showpipe.model.yamlfile import write_yaml

ITEMS = int(os.environ.get("SHOWPIPE_BENCH_ITEMS", "2000"))
DELAY = float(os.environ.get("SHOWPIPE_BENCH_DELAY", "0.05"))
REPEAT = int(os.environ.get("SHOWPIPE_BENCH_REPEAT", "2"))
SAMPLE = 40
REPO = Path(__file__).resolve().parent.parent
# A real JPEG from the repository's sample show: what the host answers every GET with.
IMAGE = next((REPO / "feeds").rglob("*.jpg")).read_bytes()


def make_feed(base: str) -> bytes:
    """A feed shaped like a big hosting service's: HTML notes, persons, chapters, no lengths."""
    items = []
    start = datetime(2010, 1, 1, tzinfo=UTC)
    for i in range(ITEMS):
        date = format_datetime(start + timedelta(days=i))
        items.append(
            f"""<item><title>Episode {i}: feeds &amp; GUIDs</title><guid>bench-{i}</guid>
<pubDate>{date}</pubDate><link>{base}episodes/{i}</link>
<description><![CDATA[<p>In episode {i} we talk about <b>feeds</b> and
<a href="{base}notes/{i}">GUIDs</a>.</p><ul><li>one</li><li>two</li></ul>]]></description>
<enclosure url="{base}media/{i}.mp3" length="0" type="audio/mpeg"/>
<itunes:duration>00:{i % 60:02d}:{i % 59:02d}</itunes:duration>
<itunes:episode>{i + 1}</itunes:episode><itunes:season>{1 + i // 100}</itunes:season>
<itunes:image href="{base}art/{i}.jpg"/>
<podcast:person role="guest">Guest {i}</podcast:person>
<podcast:transcript url="{base}tx/{i}.vtt" type="text/vtt"/></item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
 xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>
<title>Bench Show</title><link>{base}</link><description>A big show.</description>
<language>en</language><itunes:author>Bench</itunes:author>
<itunes:owner><itunes:name>Bench</itunes:name><itunes:email>b@example.com</itunes:email>
</itunes:owner><itunes:image href="{base}art/cover.jpg"/>
<itunes:category text="Technology"/><itunes:explicit>no</itunes:explicit>
<podcast:person role="host">Ada</podcast:person>
{"".join(items)}</channel></rss>""".encode()


class _SlowHost(BaseHTTPRequestHandler):
    """Answers each request after DELAY seconds, keeping the connection open (HTTP/1.1) as
    a real host does, and logging nothing: its own cost must not count as showpipe's."""

    protocol_version = "HTTP/1.1"
    served: dict[str, bytes] = {}

    def _answer(self, body: bool) -> None:
        time.sleep(DELAY)
        if self.path in self.served:
            data, kind = self.served[self.path], "application/rss+xml"
        elif self.command == "HEAD":
            data, kind = b"", "audio/mpeg"
        else:
            data, kind = IMAGE, "image/jpeg"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data) if data else 12_345_678))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    # Many clients connect at once: a backlog of 5 (the default) would drop their SYNs and
    # add seconds of retransmission that no real host would cost.
    request_queue_size = 1024


@contextmanager
def slow_host() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A threaded HTTP server on loopback answering each request after DELAY seconds: a
    thread per connection, so the 50 ms is latency, never a queue."""
    served: dict[str, bytes] = {}
    handler = type("Handler", (_SlowHost,), {"served": served})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def best(run: Callable[[], float]) -> float:
    return min(run() for _ in range(REPEAT))


CPU: list[float] = []  # CPU seconds of each import process, to read the figures on a busy machine
PARSE_CPU: list[float] = []  # CPU seconds of each in-process parse and write


def end_to_end(url: str) -> float:
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "showpipe", "-C", str(folder), "import", url],
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr}")
        written = len(list((folder / "episodes").glob("*.yaml")))
        if written != ITEMS:
            raise SystemExit(f"import wrote {written} episodes, not {ITEMS}")
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def parse_and_write(xml: bytes, url: str) -> float:
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        plan = plan_import(xml, fetched_from=url, name="show", settings=load_settings(folder))
        for relative, data in plan.yaml.items():
            write_yaml(folder / relative, data)
        PARSE_CPU.append(time.process_time() - cpu)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def one_at_a_time(base: str) -> float:
    """HEAD lookups made one after another, on SAMPLE items, scaled to ITEMS."""
    with requests.Session() as session:
        started = time.perf_counter()
        for i in range(SAMPLE):
            session.head(f"{base}media/{i}.mp3", timeout=30)
        return (time.perf_counter() - started) * ITEMS / SAMPLE


def main() -> None:
    with slow_host() as (base, served):
        xml = make_feed(base)
        served["/feed.xml"] = xml
        url = base + "feed.xml"
        print(
            f"{ITEMS} items, every enclosure needs a HEAD, host answers after {DELAY * 1000:.0f} ms"
        )
        whole = best(lambda: end_to_end(url))
        alone = best(lambda: parse_and_write(xml, url))
        baseline = one_at_a_time(base)
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"showpipe import, end to end:         {whole:6.2f} s  (target <= 10 s)")
    print(f"  CPU time of the import process:    {min(CPU):6.2f} s  ({load})")
    print(f"parse the feed and write the YAML:   {alone:6.2f} s  (target <= 3 s)")
    print(f"  CPU time of parsing and writing:   {min(PARSE_CPU):6.2f} s")
    print(f"baseline, HEAD lookups one at a time:{baseline:6.2f} s  (scaled from {SAMPLE})")
    print(f"ratio baseline / showpipe import:    {baseline / whole:6.1f}x")


if __name__ == "__main__":
    main()
