"""A real S3-compatible server for the tests: moto's server mode, as a separate process.

Loaded from conftest.py through `pytest_plugins`. One server serves the whole session; each
test gets its own bucket, so tests stay independent without paying for a server each.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests


@dataclass(frozen=True)
class S3Server:
    """A running server: its endpoint, and a client for setting up and inspecting buckets."""

    endpoint: str
    log: Path

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing-access-key",
            aws_secret_access_key="testing-secret-key",
        )

    def keys(self, bucket: str) -> set[str]:
        """The bucket's keys (its first 1,000: more than any test stores)."""
        return {o["Key"] for o in self.client().list_objects_v2(Bucket=bucket).get("Contents", [])}

    def objects(self, bucket: str) -> dict[str, bytes]:
        """The bucket's objects, read whole."""
        client = self.client()
        return {
            k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in self.keys(bucket)
        }


def record_requests(storage: Any) -> list[tuple[str, str]]:
    """Every request an S3Storage's client sends from now on, as (method, URL)."""
    sent: list[tuple[str, str]] = []
    storage.client.meta.events.register(
        "before-send.s3", lambda request, **_: sent.append((request.method, request.url))
    )
    return sent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(log: Path, **env: str) -> tuple[subprocess.Popen[bytes], S3Server]:
    """Start `moto_server` on a free loopback port and wait until it answers."""
    port = free_port()
    server = S3Server(f"http://127.0.0.1:{port}", log)
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **env},
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited: {log.read_text()[-2000:]}")
        try:
            requests.get(server.endpoint + "/moto-api/", timeout=1)
            return process, server
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start within 30 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One S3 server for the session (no authentication: any credentials are accepted)."""
    process, server = start_server(tmp_path_factory.mktemp("moto") / "server.log")
    yield server
    _stop(process)


@pytest.fixture(scope="session")
def strict_s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """An S3 server that checks credentials, and knows none: every key is a bad one."""
    log = tmp_path_factory.mktemp("moto-strict") / "server.log"
    process, server = start_server(log, INITIAL_NO_AUTH_ACTION_COUNT="0")
    yield server
    _stop(process)


@pytest.fixture
def private_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket on the session's server; only signed requests may read it."""
    name = f"show-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_bucket(s3_server: S3Server, private_bucket: str) -> str:
    """A new bucket whose objects anyone may read, as a podcast's bucket must be."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                # moto authorizes CORS preflights as "s3:OptionsObject"; S3 never asks.
                "Action": ["s3:GetObject", "s3:OptionsObject"],
                "Resource": f"arn:aws:s3:::{private_bucket}/*",
            }
        ],
    }
    s3_server.client().put_bucket_policy(Bucket=private_bucket, Policy=json.dumps(policy))
    return private_bucket


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch, s3_server: S3Server, s3_bucket: str) -> str:
    """Point showpipe at `s3://<bucket>/show` the way CI would: environment only.

    Returns the public base URL (the bucket's path-style URL on the server).
    """
    public_url = f"{s3_server.endpoint}/{s3_bucket}/show/"
    monkeypatch.setenv("SHOWPIPE_STORAGE", f"s3://{s3_bucket}/show")
    monkeypatch.setenv("SHOWPIPE_PUBLIC_URL", public_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    monkeypatch.setenv("SHOWPIPE_S3_ADDRESSING_STYLE", "path")
    return public_url
