"""Shared fixtures: a fresh copy of the sample show per test, and no real accounts."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from mediafactory import make_artwork, make_audio, make_video
from ruamel.yaml import YAML

from oldhost import OldHost, old_host
from showpipe.cli import cli
from showpipe.config import Settings, load_settings
from showpipe.web.serve import make_app

REPO = Path(__file__).resolve().parent.parent

# The S3 server fixtures (a real moto server process) live in tests/s3server.py.
pytest_plugins = ["s3server", "faultproxy"]


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test may read the developer's settings or touch a real cloud account."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    for name in ("SHOWPIPE_PROJECT", "SHOWPIPE_STORAGE", "SHOWPIPE_PUBLIC_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith(("SHOWPIPE_S3_", "AWS_ENDPOINT_URL"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny real media of every supported format (2 s each), a cover and a chapter image."""
    folder = tmp_path_factory.mktemp("media")
    for suffix in (".mp3", ".m4a", ".opus", ".flac"):
        make_audio(folder / f"tone{suffix}", 2.0)
    make_video(folder / "clip.mp4", 2.0)
    make_artwork(folder / "cover.png", 64)
    make_artwork(folder / "chapter.jpg", 32, color=(200, 30, 30))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the sample show (feeds, episodes, media, showpipe.toml)."""
    root = tmp_path / "show"
    root.mkdir()
    for name in ("feeds", "episodes"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "showpipe.toml", root)
    return root


@pytest.fixture
def settings(project: Path) -> Settings:
    return load_settings(project)


@pytest.fixture
def make_episode(project: Path) -> Callable[..., Path]:
    """Write episodes/<slug>.yaml from a valid base episode with `overrides` applied.

    An override of None removes the key.
    """

    def make(slug: str = "extra", **overrides: Any) -> Path:
        data: dict[str, Any] = {
            "guid": f"guid-{slug}",
            "title": f"Episode {slug}",
            "published": "2026-11-10T10:00:00+00:00",
            "summary": "A summary.",
            "description": "A *description*.",
            "audio": "media/pilot.mp3",
        }
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        path = project / "episodes" / f"{slug}.yaml"
        with path.open("w", encoding="utf-8") as f:
            YAML().dump(data, f)
        return path

    return make


@pytest.fixture
def run(project: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the CLI inside the sample project, as a user would from its folder."""
    monkeypatch.chdir(project)

    def invoke(*args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        # Every command run in the suite: the fake credentials never reach the output.
        for secret in (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]):
            assert secret not in result.output, f"credentials in the output of {args}"
        return result

    return invoke


@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """Start real HTTP servers on loopback: `http_server(folder)` or `http_server(app=wsgi)`.

    Returns the base URL, ending in `/`. Servers stop when the test ends.
    """
    from werkzeug.serving import make_server

    servers = []

    def start(folder: Path | None = None, *, app: Any = None) -> str:
        server = make_server("127.0.0.1", 0, app or make_app(folder), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join()


@pytest.fixture
def showpipe_serve() -> Iterator[Callable[[Path], str]]:
    """Run the real `showpipe serve` command on a free port: `showpipe_serve(project)`.

    Returns the base URL once the server answers; the process is stopped after the test.
    """
    import socket
    import subprocess
    import sys
    import time

    import requests

    processes: list[subprocess.Popen[bytes]] = []

    def start(project: Path) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [
            sys.executable,
            "-m",
            "showpipe",
            "-C",
            str(project),
            "serve",
            "--port",
            str(port),
        ]
        processes.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.head(base, timeout=1)
                return base
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("showpipe serve did not start within 20 s")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OldHost]:
    """A fake old host for imports (tests/oldhost.py), one per test module."""
    image = make_artwork(tmp_path_factory.mktemp("art") / "cover.jpg", 1400, label="Old")
    with old_host(image.read_bytes()) as running:
        yield running
