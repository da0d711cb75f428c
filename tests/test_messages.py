"""What a run says after trouble: the true counts after a kill, the failure that stopped it,
and never the credentials an endpoint URL carries. Real `showpipe` processes against the
real S3 test server, faults injected by tests/faultproxy.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from faultproxy import FaultProxy
from s3server import S3Server

Run = Callable[..., Result]
CONTENT = re.compile(r"^show/(media|art|chapters|transcripts)/")


def _showpipe(cwd: Path, endpoint: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": endpoint, "SHOWPIPE_S3_MAX_ATTEMPTS": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "showpipe", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended first: {process.communicate()}")
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _content_keys(s3_server: S3Server, bucket: str) -> set[str]:
    return {k for k in s3_server.keys(bucket) if CONTENT.match(k)}


def test_a_rerun_after_a_kill_counts_the_files_already_stored(
    project: Path, s3_env: str, s3_server: S3Server, s3_bucket: str, fault_proxy: FaultProxy
) -> None:
    held = fault_proxy.add("PUT", r"/show/transcripts/", "hold")
    process = _showpipe(project, fault_proxy.endpoint, "publish", "episodes/on-tools.yaml")
    # the transcript's upload is held; the files sent beside it are stored meanwhile
    _wait(lambda: held.arrived.is_set() and len(_content_keys(s3_server, s3_bucket)) >= 3, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    fault_proxy.clear()
    before = _content_keys(s3_server, s3_bucket)

    rerun = _showpipe(project, fault_proxy.endpoint, "publish", "episodes/on-tools.yaml")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    sent = _content_keys(s3_server, s3_bucket) - before
    assert sent and before  # some stored by the killed run, some sent now
    assert f"{len(sent)} file(s) uploaded, {len(before)} already stored" in out


def test_an_interrupted_run_reports_its_upload_failure_not_the_lease(
    project: Path, s3_env: str, fault_proxy: FaultProxy
) -> None:
    held = fault_proxy.add("PUT", r"/show/media/", "hold")
    process = _showpipe(project, fault_proxy.endpoint, "publish", "episodes/pilot.yaml")
    _wait(held.arrived.is_set, process)
    # the network goes: the upload's retries fail, and so does every read of the lease
    fault_proxy.add("PUT", r"/show/media/", "500", times=100)
    fault_proxy.add("GET", r"/showpipe/lease\.json", "500", times=100)
    held.release.set()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in err
    assert re.search(r"Error: cannot upload s3://.*/show/media/pilot-.*InternalError", err), err
    assert "lease.json" not in err.partition("Error: ")[2]


SECRET = "pa55word-do-not-echo"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://showpipe:{secret}@127.0.0.1:9/",  # nothing listens there
        "http://showpipe:{secret}@127.0.0.1:9:x/",  # not a valid URL
        "{server}",  # the real server, the user and password put into the URL below
    ],
)
def test_an_endpoint_url_with_a_password_is_never_echoed(
    endpoint: str, run: Run, project: Path, s3_env: str, s3_server: S3Server
) -> None:
    url = endpoint.format(secret=SECRET, server=s3_server.endpoint)
    url = url.replace("://", f"://showpipe:{SECRET}@") if SECRET not in url else url
    options = ("--s3-endpoint-url", url, "--s3-max-attempts", "1")
    results = [
        run(*options, *args)
        for args in (("publish", "episodes/pilot.yaml"), ("feeds",), ("doctor",), ("verify",))
    ]
    assert any(r.exit_code == 1 for r in results)
    for result in results:
        assert "Traceback" not in result.output
        assert SECRET not in result.output, result.output
