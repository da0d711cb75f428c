"""Running showpipe as a person does, with a terminal for its output."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def run_on_terminal(project: Path, *args: str, typed: str | None = None) -> str:
    """Run showpipe as a user would in a terminal (stdout a pty); return what it drew.

    With `typed`, the terminal is its input too, and `typed` is what the user types.
    """
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "showpipe", *args],
        cwd=project,
        stdin=None if typed is None else terminal,
        stdout=terminal,
        stderr=subprocess.STDOUT,
    )
    os.close(terminal)
    if typed is not None:
        os.write(main, typed.encode())
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    assert process.wait(timeout=60) == 0, drawn.decode(errors="replace")
    return drawn.decode(errors="replace")
