"""The installed command as a process: exit codes and output survive its quick exit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]


@pytest.mark.parametrize(
    ("args", "code", "stream", "expected"),
    [
        (["publish", "episodes/pilot.yaml"], 0, "stdout", "Published 1 episode(s)"),
        (["publish", "episodes/nope.yaml"], 1, "stderr", "Error: "),
        (["publish"], 2, "stderr", "Usage: "),
    ],
)
def test_the_command_keeps_its_exit_code_and_output(
    project: Path, args: list[str], code: int, stream: str, expected: str
) -> None:
    # main() freezes the garbage collector on the way out: the process still says it all.
    done = subprocess.run(
        [sys.executable, "-m", "showpipe", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert expected in getattr(done, stream)


def _plugin_on_path(folder: Path, marker: Path) -> dict[str, str]:
    """An installed pydantic plugin (a dist-info with a `pydantic` entry point) whose module
    leaves `marker` when it is imported; the environment that puts it on the path, ahead of
    what is there (a checkout run with PYTHONPATH=src must still run its own code)."""
    (folder / "spy_plugin.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    info = folder / "spy_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    path = [str(folder), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in path if p)}


@pytest.mark.parametrize(("setting", "loaded"), [(None, False), ("", True)])
def test_pydantic_plugins_are_not_loaded_unless_asked_for(
    project: Path, tmp_path: Path, setting: str | None, loaded: bool
) -> None:
    # Some plugins import a whole SDK when loaded; showpipe's models are not theirs to watch.
    marker = tmp_path / "loaded"
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env |= _plugin_on_path(tmp_path, marker)
    if setting is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting
    done = subprocess.run(
        [sys.executable, "-m", "showpipe", "check"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert marker.exists() is loaded


def test_check_with_only_a_scheduled_episode_loads_no_media_code(
    run: Run, make_episode: Callable[..., Path], project: Path
) -> None:
    """Nothing new to check, but an episode due later: `check` lints the feeds as they will
    be then, from the manifest, as cron's `feeds` would build them, with no media code
    (no tagging, no build cache)."""
    make_episode("later", published="2099-01-01T09:00:00+01:00")
    episodes = sorted(str(p.relative_to(project)) for p in project.glob("episodes/*.yaml"))
    assert run("publish", *episodes).exit_code == 0
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "showpipe", "check"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Episode later" in done.stdout
    # -X importtime lists every module imported; only the digests of media files are needed
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert {m for m in imported if m.startswith("showpipe.media.")} == {"showpipe.media.hashes"}
