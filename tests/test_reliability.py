"""Publishing that survives faults, kills and concurrent runs, against the real S3 server.

Faults are injected by tests/faultproxy.py between showpipe and the moto server; kills are
real SIGKILLs of a `showpipe publish` process, held mid-request by the proxy.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import podcastparser
import pytest
import requests
from click.testing import Result

from faultproxy import FaultProxy
from s3server import S3Server
from sampleshow import NOW
from showpipe.config import load_settings
from showpipe.errors import ConflictError, StorageError
from showpipe.model.project import load_project
from showpipe.publishing.lock import (
    LEASE_KEY,
    LEASE_TIME,
    exclusive,
    project_lock,
    renew_lease,
    take_lease,
)
from showpipe.publishing.plan import plan_publish, run_plan
from showpipe.storage import PutItem, open_storage
from showpipe.storage.s3 import S3Storage
from showpipe.storage.s3config import load_s3_config

Run = Callable[..., Result]


def feed_items(public_url: str, name: str = "show") -> list[dict[str, Any]]:
    """The feed as a podcast app reads it; every enclosure must be fetchable whole."""
    url = f"{public_url}feeds/{name}.xml"
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    items = podcastparser.parse(url, io.BytesIO(response.content))["episodes"]
    for item in items:
        for enclosure in item["enclosures"]:
            got = requests.get(enclosure["url"], timeout=10)
            assert got.status_code == 200 and len(got.content) == enclosure["file_size"]
    return list(items)


def _kind(method: str, path: str) -> str | None:
    path = path.split("?")[0]
    if "/showpipe/lease.json" in path:
        return {"PUT": "lease", "DELETE": "release"}.get(method)
    if path.endswith("/showpipe/manifest.json") and method == "PUT":
        return "manifest"
    if "/feeds/" in path and method == "PUT":
        return "feed"
    if any(f"/show/{folder}/" in path for folder in ("media", "art", "chapters", "transcripts")):
        return {"PUT": "upload", "HEAD": "check"}.get(method)
    return None


def test_publish_uploads_verifies_then_records_then_writes_feeds(
    run: Run, s3_env: str, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.endpoint)
    result = run("publish", "episodes/on-tools.yaml")
    assert result.exit_code == 0, result.output
    kinds = [_kind(m, p) for m, p, _ in fault_proxy.requests]
    steps = [k for i, k in enumerate(kinds) if k and k != ([None, *kinds][i])]
    # check = "already stored whole?" before the uploads, and the verification after them;
    # the lease is renewed (still ours?) before anything is recorded
    expected = ["lease", "check", "upload", "check", "lease", "manifest", "feed", "release"]
    assert steps == expected
    assert {item["title"] for item in feed_items(s3_env)} == {"On Tools"}


@pytest.mark.parametrize("fault", ["500", "503", "reset", "slow"])
def test_faults_on_uploads_are_retried_and_publish_succeeds(
    fault: str,
    run: Run,
    s3_env: str,
    fault_proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.endpoint)
    rule = fault_proxy.add("PUT", r"/show/media/", fault, times=2, delay=1.0)
    manifest_rule = fault_proxy.add("PUT", r"/manifest\.json", fault, times=1, delay=1.0)
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 0, result.output
    # a slow answer is waited for; an error or a reset is retried, here twice
    assert rule.seen == (1 if fault == "slow" else 2) and manifest_rule.seen == 1
    assert [item["title"] for item in feed_items(s3_env)] == ["Pilot"]


def test_a_fault_that_persists_is_one_line_and_the_show_stays_as_it_was(
    run: Run,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
    fault_proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    before = s3_server.objects(s3_bucket)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.endpoint)
    monkeypatch.setenv("SHOWPIPE_S3_MAX_ATTEMPTS", "2")
    fault_proxy.add("PUT", r"/manifest\.json", "503", times=100)
    result = run("publish", "episodes/on-tools.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "SlowDown" in result.stderr and "Traceback" not in result.output
    after = s3_server.objects(s3_bucket)
    # the feeds and the manifest are the ones before; the new files wait for the rerun
    assert {k: v for k, v in after.items() if k in before} == before
    assert not any(k.endswith(LEASE_KEY) for k in after)
    assert [item["title"] for item in feed_items(s3_env)] == ["Pilot"]
    fault_proxy.clear()
    assert run("publish", "episodes/on-tools.yaml").exit_code == 0
    assert {item["title"] for item in feed_items(s3_env)} == {"Pilot", "On Tools"}


def test_manifest_is_only_replaced_if_no_other_run_replaced_it(
    project: Path, s3_env: str, s3_bucket: str, s3_server: S3Server
) -> None:
    settings = load_settings(project, {"storage": f"s3://{s3_bucket}/show", "public_url": s3_env})
    storage = open_storage(settings)
    episodes = settings.episodes_dir
    first = plan_publish(load_project(settings), storage, [episodes / "pilot.yaml"], now=NOW)
    second = plan_publish(load_project(settings), storage, [episodes / "on-tools.yaml"], now=NOW)
    run_plan(first, storage)
    with pytest.raises(ConflictError, match="changed by another showpipe run"):
        run_plan(second, storage)
    manifest = json.loads(s3_server.objects(s3_bucket)["show/showpipe/manifest.json"])
    assert len(manifest["episodes"]) == 1  # the first run's record, not lost


def test_lease_one_holder_at_a_time_and_a_dead_or_expired_one_is_taken_over(
    s3_server: S3Server, s3_bucket: str
) -> None:
    storage = S3Storage(load_s3_config(f"s3://{s3_bucket}/x", {"endpoint_url": s3_server.endpoint}))
    take_lease(storage, "publish", now=NOW)
    with pytest.raises(ConflictError, match=r"in use by showpipe publish \(pid \d+ on "):
        take_lease(storage, "feeds", now=NOW)
    # from another machine: held until it expires
    other = {"host": "elsewhere", "pid": 1, "command": "feeds", "started": NOW.isoformat()}
    expires = (NOW + timedelta(minutes=5)).isoformat()
    storage.put_bytes("showpipe/lease.json", json.dumps({**other, "expires": expires}).encode(),
                      content_type="application/json", cache_control="no-store")  # fmt: skip
    with pytest.raises(ConflictError, match="on elsewhere"):
        take_lease(storage, "publish", now=NOW)
    assert take_lease(storage, "publish", now=NOW + timedelta(minutes=6)).command == "publish"
    # this machine, a process that is gone (a killed run): taken over at once
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    lease = {**other, "host": os.uname().nodename, "pid": int(dead.stdout), "expires": expires}
    storage.put_bytes("showpipe/lease.json", json.dumps(lease).encode(),
                      content_type="application/json", cache_control="no-store")  # fmt: skip
    assert take_lease(storage, "feeds", now=NOW).pid == os.getpid()
    # two runs racing to create it: the conditional write lets exactly one through
    storage.delete("showpipe/lease.json")
    storage.put_bytes_if("showpipe/lease.json", b"{}", version=None,
                         content_type="application/json", cache_control="no-store")  # fmt: skip
    with pytest.raises(ConflictError):
        storage.put_bytes_if("showpipe/lease.json", b"{}", version=None,
                             content_type="application/json", cache_control="no-store")  # fmt: skip


def test_a_long_run_renews_its_lease_and_learns_when_another_run_took_it(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    storage = S3Storage(
        load_s3_config(f"s3://{s3_bucket}/renew", {"endpoint_url": s3_server.endpoint})
    )

    def stored_lease() -> dict[str, Any]:
        return json.loads(storage.get(LEASE_KEY) or b"null")

    every, started = timedelta(seconds=0.2), datetime.now(UTC)
    with exclusive(tmp_path, storage, "publish", now=NOW, renew_every=every) as held:
        first = stored_lease()["expires"]
        assert datetime.fromisoformat(first) == NOW + LEASE_TIME
        deadline = time.monotonic() + 20  # a long upload: renewed in the background meanwhile
        while (renewed := stored_lease()["expires"]) == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert datetime.fromisoformat(renewed) > started + LEASE_TIME  # renewed by the clock
        assert stored_lease()["pid"] == os.getpid()
        # another machine takes the storage over (say this run was stalled past expiry)
        other = {"host": "elsewhere", "pid": 1, "command": "feeds", "started": renewed,
                 "expires": renewed}  # fmt: skip
        storage.put_bytes(LEASE_KEY, json.dumps(other).encode(),
                          content_type="application/json", cache_control="no-store")  # fmt: skip
        time.sleep(every.total_seconds() * 3)  # renewals meanwhile find it gone and stop
        with pytest.raises(ConflictError, match="now held by showpipe feeds .* on elsewhere"):
            held.confirm()
        assert stored_lease()["host"] == "elsewhere"  # not overwritten by the renewals
    assert stored_lease()["host"] == "elsewhere"  # nor removed on the way out


def test_a_run_holding_the_project_lock_stops_another_with_a_clear_message(
    run: Run, project: Path, s3_env: str
) -> None:
    with project_lock(project / ".showpipe", "feeds"):
        result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 1
    assert "is held by showpipe feeds (pid" in result.stderr and "Traceback" not in result.output
    assert run("publish", "episodes/pilot.yaml").exit_code == 0


def _environment(endpoint: str) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL_S3": endpoint, "SHOWPIPE_S3_MAX_ATTEMPTS": "3"}


def _showpipe(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "showpipe", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.fixture
def held_publish(
    project: Path, s3_env: str, fault_proxy: FaultProxy, make_episode: Callable[..., Path]
) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    """Start `showpipe publish episodes/fresh.yaml` and return once the proxy holds the
    request matching the given path regex (the process waits for its answer)."""
    make_episode("fresh", guid="guid-fresh", title="Fresh", audio="media/listener-mail.mp3")
    started: list[subprocess.Popen[str]] = []

    def start(path: str) -> subprocess.Popen[str]:
        rule = fault_proxy.add("PUT", path, "hold")
        env = _environment(fault_proxy.endpoint)
        process = _showpipe(project, env, "publish", "episodes/fresh.yaml")
        started.append(process)
        deadline = time.monotonic() + 60
        while not rule.arrived.wait(0.05) and process.poll() is None:
            assert time.monotonic() < deadline
        if not rule.arrived.is_set():
            pytest.fail(f"publish never sent PUT {path}: {process.communicate()}")
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_concurrent_runs_one_machine_or_two_neither_loses_the_other_s_work(
    project: Path, tmp_path: Path, s3_env: str, fault_proxy: FaultProxy, held_publish: Any
) -> None:
    other_machine = tmp_path / "cron-box"
    shutil.copytree(project, other_machine, ignore=shutil.ignore_patterns(".showpipe"))
    publish = held_publish(r"/show/media/fresh-")
    env = _environment(fault_proxy.endpoint)
    code, _, err = _finish(_showpipe(project, env, "feeds"))
    assert code == 1 and "is held by showpipe publish (pid" in err
    code, _, err = _finish(_showpipe(other_machine, env, "feeds"))
    assert code == 1 and "the storage is in use by showpipe publish (pid" in err
    assert "Traceback" not in err
    fault_proxy.clear()  # the held upload is reset, botocore retries it
    code, out, err = _finish(publish)
    assert code == 0, err
    code, _, err = _finish(_showpipe(other_machine, env, "feeds"))
    assert code == 0, err
    assert [item["title"] for item in feed_items(s3_env)] == ["Fresh"]


@pytest.mark.parametrize(
    "point",
    [
        r"/show/media/fresh-",  # uploading the media
        r"/showpipe/manifest\.json",  # recording the episode
        r"/feeds/show\.xml",  # writing the first feed
    ],
)
def test_publish_killed_mid_request_leaves_valid_feeds_and_a_rerun_completes(
    point: str,
    run: Run,
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
    fault_proxy: FaultProxy,
    held_publish: Any,
) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    feed_before = s3_server.objects(s3_bucket)["show/feeds/show.xml"]
    publish = held_publish(point)
    publish.send_signal(signal.SIGKILL)
    publish.communicate(timeout=10)
    fault_proxy.clear()
    stored = s3_server.objects(s3_bucket)
    assert stored["show/feeds/show.xml"] == feed_before
    assert [item["title"] for item in feed_items(s3_env)] == ["Pilot"]
    assert "show/showpipe/lease.json" in stored  # left behind by the killed run

    env = _environment(fault_proxy.endpoint)
    code, out, err = _finish(_showpipe(project, env, "publish", "episodes/fresh.yaml"))
    assert code == 0, err
    resent = [p for m, p, _ in fault_proxy.requests if m == "PUT" and "/media/" in p]
    # the media stored whole before the kill is found, checked and not sent again
    assert len(resent) == (1 if "media" in point else 0)
    items = feed_items(s3_env)
    assert sorted(item["guid"] for item in items) == sorted({item["guid"] for item in items})
    assert {item["title"] for item in items} == {"Pilot", "Fresh"}
    stored = s3_server.objects(s3_bucket)
    assert len([k for k in stored if k.startswith("show/media/fresh-")]) == 1
    assert "show/showpipe/lease.json" not in stored
    assert "No leftovers." in run("storage", "gc", "--older-than", "0").stdout


def test_publish_killed_while_tagging_leaves_no_copy_a_rerun_would_trust(
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
    make_episode: Callable[..., Path],
) -> None:
    # A long MP3 (frames repeated), so that the copy takes long enough to be caught.
    source = (project / "episodes" / "media" / "pilot.mp3").read_bytes()
    (project / "episodes" / "media" / "long.mp3").write_bytes(source * 400)
    make_episode("long", guid="guid-long", title="Long", audio="media/long.mp3")
    tagged = project / ".showpipe" / "cache" / "tagged"
    env = _environment(s3_server.endpoint)
    process = _showpipe(project, env, "publish", "episodes/long.yaml")
    deadline = time.monotonic() + 60
    caught = False
    while process.poll() is None and time.monotonic() < deadline:
        if tagged.is_dir() and any(p.name.startswith(".tagging-") for p in tagged.iterdir()):
            process.send_signal(signal.SIGKILL)
            caught = True
            break
        time.sleep(0.0005)
    process.communicate(timeout=10)
    assert caught, "the publish finished before its tagging was caught"
    finished = [p for p in tagged.iterdir() if not p.name.startswith(".")]
    assert finished == []  # only the temp file: nothing a rerun would take as a finished copy
    assert s3_server.objects(s3_bucket) == {}
    code, _, err = _finish(_showpipe(project, env, "publish", "episodes/long.yaml"))
    assert code == 0, err
    items = feed_items(s3_env)
    assert [item["title"] for item in items] == ["Long"]


def test_a_failed_multipart_upload_is_aborted(
    fault_proxy: FaultProxy, s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    options = {"endpoint_url": fault_proxy.endpoint, "multipart_chunksize_mb": 5}
    storage = S3Storage(load_s3_config(f"s3://{s3_bucket}/show", {**options, "max_attempts": 1}))
    fault_proxy.add("PUT", r"partNumber=2", "500", times=100)
    with pytest.raises(StorageError, match="InternalError"):
        storage.put_files([PutItem("media/big.bin", big, "audio/mpeg", "no-cache")])
    assert any("uploadId" in path for m, path, _ in fault_proxy.requests if m == "DELETE")
    assert storage.incomplete_uploads() == []
    assert storage.stat("media/big.bin") is None


def test_a_run_whose_lease_was_taken_over_stops_before_recording_anything(
    s3_server: S3Server, s3_bucket: str, fault_proxy: FaultProxy, held_publish: Any
) -> None:
    publish = held_publish(r"/show/media/fresh-")
    # meanwhile its lease expired and a run on another machine took it over
    lease = {"host": "elsewhere", "pid": 1, "command": "feeds", "started": NOW.isoformat()}
    expires = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    s3_server.client().put_object(
        Bucket=s3_bucket, Key="show/" + LEASE_KEY, Body=json.dumps({**lease, "expires": expires})
    )
    fault_proxy.clear()
    code, _, err = _finish(publish)
    assert code == 1 and "Traceback" not in err
    assert (
        "lease on the storage expired and is now held by showpipe feeds (pid 1 on elsewhere" in err
    )
    stored = s3_server.objects(s3_bucket)
    assert not any(k.endswith(("manifest.json", ".xml")) for k in stored)
    assert json.loads(stored["show/" + LEASE_KEY])["host"] == "elsewhere"  # not released


def test_renewing_a_held_lease_extends_it(s3_server: S3Server, s3_bucket: str) -> None:
    storage = S3Storage(load_s3_config(f"s3://{s3_bucket}/x", {"endpoint_url": s3_server.endpoint}))
    lease = take_lease(storage, "publish", now=NOW)
    renewed = renew_lease(storage, lease, now=NOW + timedelta(minutes=50))
    assert renewed.expires > lease.expires
    with pytest.raises(ConflictError, match="expired and is now held by"):
        renew_lease(storage, lease, now=NOW)  # the old version of itself is no longer held
