"""A large upload killed with SIGKILL is resumed by the rerun, which sends only what is
missing; the storage's lease is renewed while a long upload runs.

Real parts only: a `showpipe publish` process uploading to the real S3 test server through
tests/faultproxy.py, which holds one part's request so that the kill lands at a known point,
and counts the bytes every request carries.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from faultproxy import FaultProxy
from s3server import S3Server
from showpipe.errors import ConflictError
from showpipe.publishing.lock import LEASE_KEY, exclusive, take_lease
from showpipe.storage import PutItem
from showpipe.storage.s3 import S3Storage
from showpipe.storage.s3config import load_s3_config

PART_MB = 5


def _environment(endpoint: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "SHOWPIPE_S3_MULTIPART_CHUNKSIZE_MB": str(PART_MB),
        **extra,
    }


def _publish(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "showpipe", "publish", "episodes/long.yaml"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_when_held(process: subprocess.Popen[str], rule_arrived: Callable[[float], bool]) -> None:
    deadline = time.monotonic() + 120
    while not rule_arrived(0.05) and process.poll() is None:
        assert time.monotonic() < deadline
    if process.poll() is not None:
        pytest.fail(f"publish ended before the held part: {process.communicate()}")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)


def test_an_upload_killed_at_80_percent_is_resumed_sending_at_most_a_quarter(
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
    fault_proxy: FaultProxy,
    make_episode: Callable[..., Path],
) -> None:
    # About 52 MB of MP3 frames: 11 parts of 5 MB, sent one at a time.
    source = (project / "episodes" / "media" / "pilot.mp3").read_bytes()
    (project / "episodes" / "media" / "long.mp3").write_bytes(source * 650)
    make_episode("long", guid="guid-long", title="Long", audio="media/long.mp3")
    held = fault_proxy.add("PUT", r"/show/media/long-.*partNumber=9\b", "hold")
    env = _environment(fault_proxy.endpoint, SHOWPIPE_S3_MAX_CONCURRENCY="1")
    _kill_when_held(_publish(project, env), held.arrived.wait)
    fault_proxy.clear()

    client = s3_server.client()
    uploads = client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert len(uploads) == 1  # the killed run's, left unfinished
    key, upload_id = uploads[0]["Key"], uploads[0]["UploadId"]
    stored = client.list_parts(Bucket=s3_bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in stored] == list(range(1, 9))
    copy = next((project / ".showpipe" / "cache" / "tagged").glob("long*.mp3"))
    size = copy.stat().st_size
    assert sum(p["Size"] for p in stored) / size > 0.75  # killed at about 80 %

    code_out_err = _publish(project, _environment(fault_proxy.endpoint)).communicate(timeout=120)
    assert "Published 1 episode(s)" in code_out_err[0], code_out_err
    sent = sum(n for method, path, n in fault_proxy.bodies if "/show/media/long-" in path)
    assert 0 < sent <= size / 4, f"the rerun sent {sent} of {size} bytes"
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    # the object is the whole tagged copy, byte for byte, as the feed's enclosure
    assert requests.get(s3_env + key.removeprefix("show/"), timeout=30).content == (
        copy.read_bytes()
    )


def test_a_part_stored_with_other_bytes_is_sent_again(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    client, key = s3_server.client(), "show/media/big.bin"
    upload = client.create_multipart_upload(Bucket=s3_bucket, Key=key)["UploadId"]
    part = 5 * 1024 * 1024
    client.upload_part(Bucket=s3_bucket, Key=key, UploadId=upload, PartNumber=1,
                       Body=big.read_bytes()[:part])  # fmt: skip
    client.upload_part(
        Bucket=s3_bucket, Key=key, UploadId=upload, PartNumber=2, Body=os.urandom(part)
    )  # fmt: skip  (damaged: not the file's bytes)
    options = {"endpoint_url": s3_server.endpoint, "multipart_chunksize_mb": PART_MB}
    storage = S3Storage(load_s3_config(f"s3://{s3_bucket}/show", options))
    progress: list[int] = []
    storage.put_files(
        [PutItem("media/big.bin", big, "audio/mpeg", "no-cache")], progress=progress.append
    )
    assert sum(progress) == big.stat().st_size
    assert progress[0] == part  # part 1 kept; parts 2 and 3 sent
    stored = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert stored == big.read_bytes()


def test_the_lease_is_renewed_while_a_long_upload_runs(
    s3_server: S3Server, s3_bucket: str, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """An upload that outlasts the lease time keeps the lease: another run is refused."""
    options = {"endpoint_url": fault_proxy.endpoint, "multipart_chunksize_mb": PART_MB}
    storage = S3Storage(load_s3_config(f"s3://{s3_bucket}/show", options))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    lease_time = timedelta(seconds=2)
    slow = fault_proxy.add("PUT", r"partNumber=2\b", "slow", delay=lease_time.total_seconds() * 2)
    with exclusive(
        tmp_path, storage, "publish", now=datetime.now(UTC),
        lease_time=lease_time, renew_every=lease_time / 8,
    ) as held:  # fmt: skip
        storage.put_files([PutItem("media/big.bin", big, "audio/mpeg", "no-cache")])
        assert slow.arrived.is_set()
        lease = json.loads(storage.get(LEASE_KEY) or b"{}")
        # the upload took twice the lease time; the lease was renewed meanwhile, so it is
        # still this run's and still in the future, and another run cannot take it
        assert lease["pid"] == os.getpid()
        now = datetime.now(UTC)
        assert datetime.fromisoformat(lease["expires"]) > now
        with pytest.raises(ConflictError, match="in use by showpipe publish"):
            take_lease(storage, "feeds", now=now, lease_time=lease_time)
        held.confirm()
    renewals = [m for m, path, _ in fault_proxy.requests if m == "PUT" and LEASE_KEY in path]
    assert len(renewals) >= 3  # taken, then renewed during the upload
