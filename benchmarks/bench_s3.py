"""S3 uploads: showpipe against `aws s3 cp` / `aws s3 sync` on the same local S3 server.

Prints, side by side in one run against one moto server on loopback:
  1. one large file (500 MB) and 2. many small files (200 x 50 KB), each as one episode of
     a show. Each round runs, one after the other, each into a new empty bucket:
       aws  `aws s3 cp` of the file / `aws s3 sync` of the folder (the baseline), with its
            defaults, and again with AWS_REQUEST_CHECKSUM_CALCULATION=when_required, the
            protocol work showpipe's default does;
       (a)  showpipe's S3 storage alone uploading the same files (a fresh process);
       (b)  `showpipe publish` of every episode, the tagged copies already in the build
            cache (as after `showpipe tag` or a dry run): the upload job end to end through
            the CLI, with the manifest, the feeds and the show's pages;
       (c)  `showpipe publish`, cold: the build cache emptied first, so it tags and hashes;
     and, for information only, (a) again with checksum = when_supported (CRC32 on every
     request, as aws sends), since moto completes a multipart upload without client
     checksums by copying and checksumming the whole object itself.
     Ratio = aws time / showpipe time in the same round, >= 1.0 meaning showpipe is at
     least as fast; the median of the rounds' ratios is printed. The target is judged like
     for like: (a), the upload, against aws doing the same protocol work, in both checksum
     modes (no CRC headers: showpipe's default; CRC32: awscli's).
     Each line also gives the command's own CPU time and moto's CPU time meanwhile (both
     share this machine's cores);
  3. peak memory (max RSS) of `showpipe publish` uploading a 2 GB file (target < 200 MB);
  4. a no-op republish of a show with 1,000 published episodes: PUT count and request count
     (from the server's request log), against a republish of 10 episodes.

awscli pins botocore exactly, so it lives in its own venv (.venv-bench, made by `make bench`
or by this script). Sizes: BENCH_BIG_MB, BENCH_SMALL_COUNT, BENCH_SMALL_KB, BENCH_RSS_MB,
BENCH_EPISODES, BENCH_ROUNDS; BENCH_ONLY=big (small, rss, noop) runs only that benchmark;
BENCH_QUICK=1 shrinks them all for a quick run while developing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import requests  # noqa: E402

from s3server import S3Server, start_server  # noqa: E402

sys.path.insert(0, str(REPO / "scripts"))
from mediafactory import make_audio  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
BIG_MB = int(os.environ.get("BENCH_BIG_MB", 40 if QUICK else 500))
SMALL_COUNT = int(os.environ.get("BENCH_SMALL_COUNT", 30 if QUICK else 200))
SMALL_KB = int(os.environ.get("BENCH_SMALL_KB", 50))
RSS_MB = int(os.environ.get("BENCH_RSS_MB", 100 if QUICK else 2048))
EPISODES = int(os.environ.get("BENCH_EPISODES", 50 if QUICK else 1000))
ONLY = os.environ.get("BENCH_ONLY", "")  # e.g. "small": only the benchmarks so named
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 1 if QUICK else 5))
AWS = REPO / ".venv-bench" / "bin" / "aws"
SAMPLE_MP3 = REPO / "episodes" / "media" / "pilot.mp3"
MB = 1024 * 1024
# Where the feeds point: a CDN in front of whichever bucket a run publishes to.
CDN = "https://cdn.example.com/show/"


def ensure_awscli() -> Path:
    if not AWS.exists():
        subprocess.run([sys.executable, "-m", "venv", str(AWS.parent.parent)], check=True)
        pip = AWS.parent / "pip"
        subprocess.run([str(pip), "install", "--quiet", "awscli"], check=True)
    return AWS


@functools.cache
def _short_mp3(size: int) -> bytes:
    """A real MP3 of about `size` bytes (32 kbit/s mono), encoded once per size."""
    with tempfile.TemporaryDirectory() as folder:
        return make_audio(Path(folder) / "short.mp3", max(size / 4000, 0.5)).read_bytes()


def write_mp3(path: Path, size: int) -> Path:
    """An MP3 of `size` bytes (about that, for files smaller than the sample).

    A big one is the sample's header and frames, then its frames repeated: probing reads
    the first frames, so it stays a valid MP3 for showpipe, and the bytes are what matters
    for an upload benchmark. A small one is encoded for real, since cutting the sample
    short would make it a truncated file, which publish refuses.
    """
    data = SAMPLE_MP3.read_bytes()
    if size < len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_short_mp3(size))
        return path
    frames = data[data.index(b"\xff\xf3") :]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(data[:size])
        block = frames * (8 * MB // len(frames) + 1)
        written = min(size, len(data))
        while written < size:
            chunk = block[: size - written]
            f.write(chunk)
            written += len(chunk)
    return path


def make_project(root: Path, bucket: str, server: S3Server) -> Path:
    shutil.copytree(REPO / "feeds", root / "feeds")
    (root / "episodes" / "media").mkdir(parents=True)
    (root / "showpipe.toml").write_text(
        f'storage = "s3://{bucket}/show"\npublic_url = "{server.endpoint}/{bucket}/show/"\n'
    )
    server.client().create_bucket(Bucket=bucket)
    return root


def add_episode(project: Path, slug: str, media: str) -> Path:
    path = project / "episodes" / f"{slug}.yaml"
    path.write_text(
        f"guid: bench-{slug}\ntitle: Episode {slug}\npublished: 2026-01-01T00:00:00+00:00\n"
        f"summary: A benchmark episode.\ndescription: Benchmark.\naudio: {media}\n"
    )
    return path


def environment(home: Path, server: S3Server) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHOWPIPE_"))}
    return {
        **keep,
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": server.endpoint,
        "AWS_ENDPOINT_URL": server.endpoint,
        "SHOWPIPE_S3_ADDRESSING_STYLE": "path",
    }


@dataclass
class Usage:
    """One run: wall time, its own CPU (all threads), the server's CPU meanwhile."""

    wall: float
    cpu: float
    server_cpu: float


def server_cpu(pid: int | None) -> float:
    """CPU seconds the S3 server process has used so far (utime + stime)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(command: list[str], cwd: Path, env: dict[str, str], server: int | None = None) -> Usage:
    """Run a command; return its wall time, its CPU time and the server's CPU time."""
    before = server_cpu(server)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    cpu = usage.ru_utime + usage.ru_stime
    return Usage(elapsed, cpu, server_cpu(server) - before)


# Runs a command and prints its peak RSS in KB. The command's own ru_maxrss, read by this
# (large) benchmark process, would start at this process's RSS: the child is forked from it.
_PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
)


def peak_rss(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float]:
    """A command's peak RSS in bytes, run from a small process; and its wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return int(done.stderr.split()[-1]) * 1024, time.perf_counter() - start


def showpipe(*args: str) -> list[str]:
    return [sys.executable, "-m", "showpipe", "-q", *args]


# The contenders of one case, in the order they run in each round; aws first is the baseline.
CONTENDERS = {
    "aws": "awscli: aws s3 cp (one file) / aws s3 sync (a folder)",
    # The same command doing the same protocol work as showpipe's default: no CRC headers.
    "aws_same": "awscli, checksums when_required like showpipe",
    "a": "(a) upload alone: showpipe's S3 storage, same files",
    "b": "(b) showpipe publish, tagged copies in the build cache",
    "c": "(c) showpipe publish, cold: empty build cache too",
    # Not a target: what the default checksum setting costs against this server.
    "a_crc": "(a) with checksum = when_supported (not the default)",
}


def empty_bucket(server: S3Server, bucket: str) -> None:
    """Delete a benchmark bucket's objects, so the server holds no more than one run's."""
    client = server.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def make_show(root: Path, sizes: list[int], server: S3Server) -> Path:
    """A show of one episode per size, its feeds pointing at a CDN in front of the bucket.

    The public URL stays the same whichever bucket a run publishes to (SHOWPIPE_STORAGE),
    so the tagged copies (whose tags name the feed URL) stay valid from run to run.
    """
    shutil.copytree(REPO / "feeds", root / "feeds")
    media = root / "episodes" / "media"
    media.mkdir(parents=True)
    (root / "showpipe.toml").write_text(f'public_url = "{CDN}"\n')
    for i, size in enumerate(sizes):
        write_mp3(media / f"e{i:04}.mp3", size)
        add_episode(root, f"e{i:04}", f"media/e{i:04}.mp3")
    return root


def contender(
    who: str, media: Path, target: str, publish: list[str]
) -> tuple[list[str], dict[str, str]]:
    """The command a contender runs to store `media`'s files under `target`, and the
    environment it adds."""
    files = sorted(media.iterdir())
    if who in ("aws", "aws_same"):
        if len(files) == 1:
            command = [str(AWS), "s3", "cp", "--quiet", str(files[0]), target + "/media/"]
        else:
            command = [str(AWS), "s3", "sync", "--quiet", str(media), target + "/media/"]
        same = {"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required"} if who == "aws_same" else {}
        return command, same
    if who in ("a", "a_crc"):
        checksum = "when_supported" if who == "a_crc" else "when_required"
        return [sys.executable, "-c", _UPLOAD, target, str(media), checksum], {}
    return publish, {}  # (b) and (c)


def run_case(title: str, show: Path, server: S3Server, env: dict[str, str], pid: int) -> None:
    """ROUNDS rounds of aws, (a), (b) and (c), alternating, each into a new empty bucket."""
    name = show.name  # the buckets' names start with it
    media = show / "episodes" / "media"
    episodes = sorted(str(p.relative_to(show)) for p in (show / "episodes").glob("*.yaml"))
    publish = [sys.executable, "-c", _PUBLISH, *episodes]
    client = server.client()
    client.create_bucket(Bucket=f"{name}-warm")
    warm = {**env, "SHOWPIPE_STORAGE": f"s3://{name}-warm/show"}
    timed([*publish, "--dry-run"], show, warm)  # tags the copies into the build cache
    runs: dict[str, list[Usage]] = {who: [] for who in CONTENDERS}
    for round_ in range(ROUNDS):
        for who in CONTENDERS:
            bucket = f"{name}-{who}-{round_}"
            client.create_bucket(Bucket=bucket)
            target = f"s3://{bucket}/show"
            command, extra = contender(who, media, target, publish)
            if who == "c":
                shutil.rmtree(show / ".showpipe" / "cache", ignore_errors=True)
            runs[who].append(
                timed(command, show, {**env, "SHOWPIPE_STORAGE": target, **extra}, pid)
            )
            empty_bucket(server, bucket)
    report(title, runs)


def _paired(base: list[Usage], runs: list[Usage]) -> list[float]:
    """Round by round ratios: base's time over the contender's in the same round.

    Neighbours in one round share the machine's state of the moment (this machine's runs
    vary by 10-30% from minute to minute), so their ratio is steadier than a ratio of medians.
    """
    return sorted(b.wall / r.wall for b, r in zip(base, runs, strict=True))


def report(name: str, runs: dict[str, list[Usage]]) -> None:
    """Times side by side, and each contender's ratios to aws: with aws's defaults, and
    [with the same checksum setting as showpipe's default], the like-for-like comparison."""
    print(f"{name}: {ROUNDS} round(s); median time, its ratio = aws time / showpipe time")
    print("  (>= 1.0: showpipe at least as fast) against aws's defaults and [aws with the same")
    print("  checksums], as the median of the rounds' ratios; cpu = the command's own,")
    print("  server = moto's meanwhile; [the rounds' times]")
    for who, label in CONTENDERS.items():
        usages = runs[who]
        wall = median(u.wall for u in usages)
        ratios = (
            f"{median(_paired(runs['aws'], usages)):4.2f} "
            f"[{median(_paired(runs['aws_same'], usages)):4.2f}]"
        )
        ratio = " " * 11 if who.startswith("aws") else ratios
        every = " ".join(f"{u.wall:.2f}" for u in usages)
        print(
            f"  {label:56}{wall:6.2f} s  {ratio:11} cpu {median(u.cpu for u in usages):5.2f} s"
            f"  server {median(u.server_cpu for u in usages):5.2f} s  [{every}]"
        )
    # Like for like: the same checksum work on both sides, in each of the two modes.
    plain = _paired(runs["aws_same"], runs["a"])
    crc = _paired(runs["aws"], runs["a_crc"])
    verdict = "met" if min(median(plain), median(crc)) >= 1.0 else "NOT met"
    print(
        f"  -> upload, like for like: without CRC ((a) / aws when_required) {median(plain):.2f}"
        f" (rounds {plain[0]:.2f}-{plain[-1]:.2f}), with CRC32 ((a) when_supported / aws)"
        f" {median(crc):.2f} (rounds {crc[0]:.2f}-{crc[-1]:.2f}); target >= 1.0 {verdict}"
    )


# Publish from inside a project folder (the working directory): showpipe -q publish ARGS.
_PUBLISH = (
    "import sys; from showpipe.cli import main; "
    "sys.argv = ['showpipe', '-q', 'publish', *sys.argv[1:]]; main()"
)

# showpipe's S3 storage alone: upload a file, or every file of a folder, in a fresh process.
_UPLOAD = (
    "import sys; from pathlib import Path; from showpipe.storage import PutItem; "
    "from showpipe.storage.s3 import S3Storage; "
    "from showpipe.storage.s3config import load_s3_config; "
    "source = Path(sys.argv[2]); files = sorted(source.iterdir()) if source.is_dir() "
    "else [source]; S3Storage(load_s3_config(sys.argv[1], {'checksum': sys.argv[3]})).put_files("
    "[PutItem('media/' + f.name, f, 'audio/mpeg', 'max-age=60') for f in files])"
)


def complete_multipart_seconds(server: S3Server, path: Path, checksum: str) -> float:
    """How long the server takes to answer CompleteMultipartUpload for `path`."""
    from showpipe.storage import PutItem
    from showpipe.storage.s3 import S3Storage
    from showpipe.storage.s3config import load_s3_config

    config = {"endpoint_url": server.endpoint, "checksum": checksum}
    storage = S3Storage(load_s3_config(f"s3://aws-bench/why-{checksum}", config))
    marks: dict[str, float] = {}

    def mark(name: str) -> object:
        def handler(**_: object) -> None:  # returning a value would replace the response
            marks[name] = time.perf_counter()

        return handler

    events = storage.client.meta.events
    events.register("before-call.s3.CompleteMultipartUpload", mark("start"))
    events.register("after-call.s3.CompleteMultipartUpload", mark("end"))
    storage.put_files([PutItem("big.mp3", path, "audio/mpeg", "max-age=60")])
    return marks["end"] - marks["start"]


def bench_big(server: S3Server, tmp: Path, env: dict[str, str], pid: int) -> None:
    show = make_show(tmp / "big", [BIG_MB * MB], server)
    run_case(f"{BIG_MB} MB file", show, server, env, pid)
    # Why a server without client checksums is slower to complete an upload: moto, given
    # none, copies the whole object once more to checksum it itself. AWS S3 does that on
    # its side too (CRC64NVME), but it is not the client's cost; the upload's parts are.
    server.client().create_bucket(Bucket="aws-bench")
    big = show / "episodes" / "media" / "e0000.mp3"
    plain = complete_multipart_seconds(server, big, "when_required")
    crc = complete_multipart_seconds(server, big, "when_supported")
    empty_bucket(server, "aws-bench")
    print(
        f"  moto's CompleteMultipartUpload of it: {plain:.2f} s without client checksums, "
        f"{crc:.2f} s with CRC32 (a test-server cost, not an upload cost)"
    )


def bench_small(server: S3Server, tmp: Path, env: dict[str, str], pid: int) -> None:
    show = make_show(tmp / "small", [SMALL_KB * 1024] * SMALL_COUNT, server)
    run_case(f"{SMALL_COUNT} x {SMALL_KB} KB files", show, server, env, pid)


def bench_rss(server: S3Server, tmp: Path, env: dict[str, str], pid: int) -> int:
    project = make_project(tmp / "rss", "rss", server)
    big = write_mp3(project / "episodes" / "media" / "huge.mp3", RSS_MB * MB)
    add_episode(project, "huge", "media/huge.mp3")
    rss, elapsed = peak_rss(showpipe("publish", "episodes/huge.yaml"), project, env)
    server.client().create_bucket(Bucket="aws-rss")
    aws = [str(AWS), "s3", "cp", "--quiet", str(big), "s3://aws-rss/x"]
    aws_rss, _ = peak_rss(aws, tmp, env)
    verdict = "under" if rss < 200 * MB else "OVER"
    print(
        f"{RSS_MB} MB file: showpipe peak RSS {rss / MB:.0f} MB ({verdict} the 200 MB target; "
        f"aws s3 cp {aws_rss / MB:.0f} MB), publish took {elapsed:.1f} s"
    )
    big.unlink()
    return rss


def requests_during(
    server: S3Server, command: list[str], cwd: Path, env: dict[str, str]
) -> tuple[Counter[str], float]:
    """The requests the server logged while `command` ran, by HTTP method; its wall time."""
    before = server.log.stat().st_size
    wall = timed(command, cwd, env).wall
    time.sleep(0.5)  # let the server finish writing its log (not counted in `wall`)
    with server.log.open("rb") as f:
        f.seek(before)
        logged = f.read().decode(errors="replace")
    return Counter(re.findall(r'"(GET|PUT|POST|HEAD|DELETE) /', logged)), wall


def bench_noop(server: S3Server, tmp: Path, env: dict[str, str], pid: int) -> int:
    project = make_project(tmp / "noop", "noop", server)
    write_mp3(project / "episodes" / "media" / "tiny.mp3", 8 * 1024)
    for i in range(EPISODES):
        add_episode(project, f"e{i:04}", "media/tiny.mp3")
    names = sorted(p.name for p in (project / "episodes").glob("*.yaml"))
    every = [sys.executable, "-c", _PUBLISH, *(f"episodes/{n}" for n in names)]
    few = [sys.executable, "-c", _PUBLISH, *(f"episodes/{n}" for n in names[:10])]
    first, _ = requests_during(server, every, project, env)
    all_again, elapsed = requests_during(server, every, project, env)
    few_again, _ = requests_during(server, few, project, env)
    print(
        f"first publish of {EPISODES} episodes: {first['PUT']} PUT, {sum(first.values())} requests"
    )
    print(
        f"no-op republish of {EPISODES} episodes: {all_again['PUT']} PUT, "
        f"{sum(all_again.values())} requests ({dict(all_again)}), {elapsed:.1f} s; "
        f"of 10 episodes: {few_again['PUT']} PUT, {sum(few_again.values())} requests"
    )
    return sum(all_again.values())


def main() -> None:
    ensure_awscli()
    with tempfile.TemporaryDirectory(prefix="showpipe-bench-") as name:
        tmp = Path(name)
        (tmp / "home").mkdir()
        process, server = start_server(tmp / "server.log")
        env = environment(tmp / "home", server)
        os.environ.update(env)  # for the in-process measurements
        try:
            print(f"S3 benchmark against moto on {server.endpoint} (quick={QUICK})")
            benches = (bench_big, bench_small, bench_rss, bench_noop)
            for bench in [b for b in benches if ONLY in b.__name__]:
                bench(server, tmp, env, process.pid)
                # moto keeps every object: forget them before the next benchmark
                requests.post(f"{server.endpoint}/moto-api/reset", timeout=60)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
