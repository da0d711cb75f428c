"""S3 uploads: showpipe against `aws s3 cp` / `aws s3 sync` on the same local S3 server.

Prints, side by side in one run against one moto server on loopback:
  1. one large file (500 MB): `showpipe publish` vs `aws s3 cp`;
  2. many small files (200 x 50 KB): `showpipe publish` of 200 episodes vs `aws s3 sync`;
  3. peak memory (max RSS) of `showpipe publish` uploading a 2 GB file (target < 200 MB);
  4. a no-op republish of a show with 1,000 published episodes: PUT count and request count
     (from the server's request log), against a republish of 10 episodes.
The ratio is aws time / showpipe time: >= 1.0 means showpipe is at least as fast. showpipe's
time is the whole publish (YAML, probing, SHA-256 of every file, upload, manifest, feeds).

awscli pins botocore exactly, so it lives in its own venv (.venv-bench, made by `make bench`
or by this script). Sizes: BENCH_BIG_MB, BENCH_SMALL_COUNT, BENCH_SMALL_KB, BENCH_RSS_MB,
BENCH_EPISODES; BENCH_QUICK=1 shrinks them all for a quick run while developing.
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
from pathlib import Path

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
ROUNDS = 1 if QUICK else 3
AWS = REPO / ".venv-bench" / "bin" / "aws"
SAMPLE_MP3 = REPO / "episodes" / "media" / "pilot.mp3"
MB = 1024 * 1024


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


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Run a command; return its wall time and its own peak RSS in bytes."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss * 1024


def showpipe(*args: str) -> list[str]:
    return [sys.executable, "-m", "showpipe", "-q", *args]


def compare(
    name: str, ours: list[str], theirs: list[str], source: str, work: Path, env: dict[str, str]
) -> float:
    """Best of ROUNDS for each contender, alternating; each run uses a fresh bucket/prefix.

    showpipe publish runs twice per round: with its default checksum setting (when_required),
    and with when_supported, the CRC checksums that aws-cli sends by default. "storage only"
    is showpipe's S3 storage alone uploading the same files in a fresh process, which
    separates the upload from publishing's other work (YAML, probing, hashing, feeds).
    """
    crc = {**env, "SHOWPIPE_S3_CHECKSUM": "when_supported"}
    storage_only = [sys.executable, "-c", _UPLOAD, "s3://aws-bench/{round}s", source]
    contenders = {
        "aws": (theirs, env, "{round}"),
        "showpipe": (ours, env, "{round}"),
        "showpipe crc": (ours, crc, "{round}c"),
        "storage only": (storage_only, env, "{round}"),
        "storage only crc": (storage_only, crc, "{round}c"),
    }
    best = dict.fromkeys(contenders, float("inf"))
    for round_ in range(ROUNDS):
        for who, (command, who_env, tag) in contenders.items():
            tagged = tag.replace("{round}", str(round_))
            elapsed, _ = timed([c.replace("{round}", tagged) for c in command], work, who_env)
            best[who] = min(best[who], elapsed)
    ratio = best["aws"] / best["showpipe"]
    print(f"{name} (ratio = aws time / showpipe time; >= 1.0: showpipe at least as fast)")
    print(f"  {'aws s3 cp / sync':46}{best['aws']:6.2f} s")
    for who, label in (
        ("showpipe", "showpipe publish (default checksum)"),
        ("showpipe crc", "showpipe publish (checksum=when_supported)"),
        ("storage only", "showpipe storage upload only (default)"),
        ("storage only crc", "showpipe storage upload only (when_supported)"),
    ):
        print(f"  {label:46}{best[who]:6.2f} s  ratio {best['aws'] / best[who]:.2f}")
    return ratio


# showpipe's S3 storage alone: upload a file, or every file of a folder, in a fresh process.
_UPLOAD = (
    "import sys; from pathlib import Path; from showpipe.storage import PutItem; "
    "from showpipe.storage.s3 import S3Storage, load_s3_config; "
    "source = Path(sys.argv[2]); files = sorted(source.iterdir()) if source.is_dir() "
    "else [source]; S3Storage(load_s3_config(sys.argv[1], {})).put_files("
    "[PutItem('media/' + f.name, f, 'audio/mpeg', 'max-age=60') for f in files])"
)


def complete_multipart_seconds(server: S3Server, path: Path, checksum: str) -> float:
    """How long the server takes to answer CompleteMultipartUpload for `path`."""
    from showpipe.storage import PutItem
    from showpipe.storage.s3 import S3Storage, load_s3_config

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


def bench_big(server: S3Server, tmp: Path, env: dict[str, str]) -> float:
    projects = []
    for tag in [f"{r}{c}" for r in range(ROUNDS) for c in ("", "c")]:
        project = make_project(tmp / f"big-{tag}", f"big-{tag}", server)
        media = project / "episodes" / "media" / "big.mp3"
        if projects:  # the same bytes for every contender
            os.link(projects[0] / "episodes" / "media" / "big.mp3", media)
        else:
            write_mp3(media, BIG_MB * MB)
        add_episode(project, "big", "media/big.mp3")
        projects.append(project)
    server.client().create_bucket(Bucket="aws-bench")
    big = projects[0] / "episodes" / "media" / "big.mp3"
    ours = [sys.executable, "-c", _PUBLISH_IN, str(tmp / "big-{round}"), "episodes/big.yaml"]
    theirs = [str(AWS), "s3", "cp", "--quiet", str(big), "s3://aws-bench/{round}/big.mp3"]
    ratio = compare(f"{BIG_MB} MB file", ours, theirs, str(big), tmp, env)
    # Why the default checksum setting is slower here: moto, given no checksum, copies the
    # whole object and checksums it itself when completing a multipart upload.
    plain = complete_multipart_seconds(server, big, "when_required")
    crc = complete_multipart_seconds(server, big, "when_supported")
    print(
        f"  moto's CompleteMultipartUpload of it: {plain:.2f} s without client checksums, "
        f"{crc:.2f} s with CRC32 (a test-server cost, not an upload cost)"
    )
    return ratio


def bench_small(server: S3Server, tmp: Path, env: dict[str, str]) -> float:
    for tag in [f"{r}{c}" for r in range(ROUNDS) for c in ("", "c")]:
        project = make_project(tmp / f"small-{tag}", f"small-{tag}", server)
        for i in range(SMALL_COUNT):
            write_mp3(project / "episodes" / "media" / f"s{i:04}.mp3", SMALL_KB * 1024)
            add_episode(project, f"s{i:04}", f"media/s{i:04}.mp3")
    server.client().create_bucket(Bucket="aws-bench")
    ours = [sys.executable, "-c", _PUBLISH_IN, str(tmp / "small-{round}"), "episodes/*.yaml"]
    media = tmp / "small-0" / "episodes" / "media"
    theirs = [str(AWS), "s3", "sync", "--quiet", str(media), "s3://aws-bench/{round}/"]
    return compare(f"{SMALL_COUNT} x {SMALL_KB} KB files", ours, theirs, str(media), tmp, env)


# Publish from inside a project folder, expanding the episode glob as a shell would.
_PUBLISH_IN = (
    "import glob, os, sys; from showpipe.cli import main; os.chdir(sys.argv[1]); "
    "sys.argv = ['showpipe', '-q', 'publish', *sorted(glob.glob(sys.argv[2]))]; main()"
)


def bench_rss(server: S3Server, tmp: Path, env: dict[str, str]) -> int:
    project = make_project(tmp / "rss", "rss", server)
    big = write_mp3(project / "episodes" / "media" / "huge.mp3", RSS_MB * MB)
    add_episode(project, "huge", "media/huge.mp3")
    elapsed, rss = timed(showpipe("publish", "episodes/huge.yaml"), project, env)
    server.client().create_bucket(Bucket="aws-rss")
    _, aws_rss = timed([str(AWS), "s3", "cp", "--quiet", str(big), "s3://aws-rss/x"], tmp, env)
    verdict = "under" if rss < 200 * MB else "OVER"
    print(
        f"{RSS_MB} MB file: showpipe peak RSS {rss / MB:.0f} MB ({verdict} the 200 MB target; "
        f"aws s3 cp {aws_rss / MB:.0f} MB), publish took {elapsed:.1f} s"
    )
    big.unlink()
    return rss


def requests_during(
    server: S3Server, command: list[str], cwd: Path, env: dict[str, str]
) -> Counter[str]:
    """The requests the server logged while `command` ran, by HTTP method."""
    before = server.log.stat().st_size
    timed(command, cwd, env)
    time.sleep(0.5)  # let the server finish writing its log
    with server.log.open("rb") as f:
        f.seek(before)
        logged = f.read().decode(errors="replace")
    return Counter(re.findall(r'"(GET|PUT|POST|HEAD|DELETE) /', logged))


def bench_noop(server: S3Server, tmp: Path, env: dict[str, str]) -> int:
    project = make_project(tmp / "noop", "noop", server)
    write_mp3(project / "episodes" / "media" / "tiny.mp3", 8 * 1024)
    for i in range(EPISODES):
        add_episode(project, f"e{i:04}", "media/tiny.mp3")
    every = [sys.executable, "-c", _PUBLISH_IN, str(project), "episodes/*.yaml"]
    few = [sys.executable, "-c", _PUBLISH_IN, str(project), "episodes/e000*.yaml"]
    first = requests_during(server, every, project, env)
    start = time.perf_counter()
    all_again = requests_during(server, every, project, env)
    elapsed = time.perf_counter() - start
    few_again = requests_during(server, few, project, env)
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
            for bench in (bench_big, bench_small, bench_rss, bench_noop):
                bench(server, tmp, env)
                # moto keeps every object: forget them before the next benchmark
                requests.post(f"{server.endpoint}/moto-api/reset", timeout=60)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
