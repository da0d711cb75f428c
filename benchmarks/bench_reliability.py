"""What crash safety costs: publish with the lease, the checks and the verification, beside
the plain run order before issue #6 (upload, write the manifest, write the feeds), and what a
rerun after a kill costs beside a full publish.

Prints, side by side in one run against one moto server on loopback:
  1. publishing N small episodes (each a distinct tagged MP3 of ~50 KB), best of ROUNDS:
     `run_plan` inside `exclusive()` (lease + checks before and after the uploads + conditional
     manifest) vs the baseline order with none of these, each into a fresh bucket;
  2. the rerun of the same publish after a "kill" between the uploads and the manifest (every
     object stored, nothing recorded): time and objects sent, vs the full publish.
Ratios are showpipe / baseline: the price of the safety, in time.

Sizes: BENCH_REL_EPISODES (default 200; BENCH_QUICK=1: 20).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from showpipe.config import load_settings
from showpipe.model.manifest import MANIFEST_KEY, encode_manifest
from showpipe.model.project import load_project
from showpipe.publishing.lock import exclusive
from showpipe.publishing.plan import Plan, plan_publish, run_plan
from showpipe.publishing.uploads import upload_files
from showpipe.storage import Storage, caching, open_storage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the moto server fixture's module

from bench_s3 import add_episode, make_project  # noqa: E402

from s3server import S3Server, start_server  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
EPISODES = int(os.environ.get("BENCH_REL_EPISODES", 20 if QUICK else 200))
ROUNDS = 1 if QUICK else 3
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def guarded(state: Path, storage: Storage, plan: Plan) -> None:
    """A publish as the CLI runs it: under the project's lock and the storage's lease."""
    with exclusive(state, storage, "publish", now=datetime.now(UTC)):
        run_plan(plan, storage)


def baseline_run(plan: Plan, storage: Storage) -> None:
    """The run order before #6: uploads, manifest, feeds; no lease, checks or verification."""
    upload_files([u for u in plan.uploads if u.needed], storage)
    storage.put_bytes(
        MANIFEST_KEY,
        encode_manifest(plan.manifest),
        content_type="application/json",
        cache_control=caching.RECORD,
    )
    for feed in plan.feeds:
        storage.put_bytes(
            feed.key, feed.xml, content_type="application/rss+xml", cache_control=caching.CHANGING
        )


def fresh(project: Path, server: S3Server) -> tuple[Storage, Plan]:
    """A new bucket and the plan of publishing every episode into it."""
    bucket = f"rel-{uuid.uuid4().hex[:10]}"
    server.client().create_bucket(Bucket=bucket)
    settings = load_settings(
        project,
        {
            "storage": f"s3://{bucket}/show",
            "public_url": f"{server.endpoint}/{bucket}/show/",
            "s3": {"addressing_style": "path", "endpoint_url": server.endpoint},
        },
    )
    storage = open_storage(settings)
    episodes = sorted(settings.episodes_dir.glob("*.yaml"))
    return storage, plan_publish(load_project(settings), storage, episodes, now=NOW)


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    tmp = Path(tempfile.mkdtemp(prefix="bench-rel-"))
    process, server = start_server(tmp / "moto.log")
    try:
        project = make_project(tmp / "show", f"rel-{uuid.uuid4().hex[:8]}", server)
        media = project / "episodes" / "media" / "ep.mp3"
        shutil.copy(REPO / "episodes" / "media" / "listener-mail.mp3", media)
        for i in range(EPISODES):
            add_episode(project, f"ep{i:04d}", "media/ep.mp3")
        state = project / ".showpipe"
        fresh(project, server)  # tag every copy once, outside the timings
        safe, plain = [], []
        for _ in range(ROUNDS):
            storage, plan = fresh(project, server)
            plain.append(timed(lambda: baseline_run(plan, storage)))  # noqa: B023
            storage, plan = fresh(project, server)

            safe.append(timed(lambda: guarded(state, storage, plan)))  # noqa: B023
        files = sum(u.needed for u in plan.uploads)
        print(f"publish {EPISODES} episodes ({files} files), best of {ROUNDS}:")
        print(f"  baseline (upload, manifest, feeds)        {min(plain):7.2f} s")
        print(f"  showpipe (lease, check, upload, verify…)  {min(safe):7.2f} s")
        print(f"  ratio showpipe / baseline                 {min(safe) / min(plain):7.2f}")

        storage, plan = fresh(project, server)
        upload_files([u for u in plan.uploads if u.needed], storage)  # then "killed"
        sent: list[str] = []
        storage.client.meta.events.register(  # type: ignore[attr-defined]
            "before-send.s3",
            lambda request, **_: sent.append(request.method),
        )
        rerun = timed(lambda: guarded(state, storage, plan))
        print("rerun after a kill between the uploads and the manifest:")
        puts = sent.count("PUT")
        print(f"  rerun {rerun:7.2f} s, {puts} PUTs (lease, its renewal, manifest, feeds), vs full")
        print(f"  publish {min(safe):7.2f} s: ratio rerun / full {rerun / min(safe):7.2f}")
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
