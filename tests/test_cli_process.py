"""The installed command as a process: exit codes and output survive its quick exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


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
