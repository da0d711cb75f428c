"""What a person sees while publishing: throughput and time left, and -v's timed steps."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from showpipe.cli.app import transfer_rate
from terminal import run_on_terminal

Run = Callable[..., Result]


def test_transfer_rate_is_throughput_and_time_left() -> None:
    assert transfer_rate(5_000_000, 20_000_000, 2.0) == "2.5 MB/s, 0:06 left"
    assert transfer_rate(1_000, 61_000 * 60, 1.0) == "1.0 KB/s, 60:59 left"
    assert transfer_rate(0, 10, 0.0) == ""


def test_the_upload_bar_shows_throughput_and_time_left(
    project: Path, make_episode: Callable[..., Path]
) -> None:
    sample = (project / "episodes" / "media" / "pilot.mp3").read_bytes()
    (project / "episodes" / "media" / "big.mp3").write_bytes(sample * 20)
    make_episode("big", audio="media/big.mp3")
    drawn = run_on_terminal(project, "publish", "episodes/big.yaml")
    assert re.search(r"\[#+\]  100%  [\d.]+ [KMG]?B/s, \d+:\d\d left", drawn), drawn
    assert "None" not in drawn


def test_verbose_prints_each_step_with_its_duration(run: Run) -> None:
    result = run("-v", "publish", "episodes/pilot.yaml")
    assert result.exit_code == 0, result.output
    steps = re.findall(r"^(.+): (\d+\.\d\d) s$", result.stdout, re.MULTILINE)
    assert [name for name, _ in steps] == [
        "load the project",
        "plan: check, tag and build the feeds",
        "build the pages",
        "upload, then write the manifest and the feeds",
        "write the pages",
        "notify",
    ]
    # without -v, none of it
    assert not re.search(r": \d+\.\d\d s$", run("publish", "episodes/on-tools.yaml").stdout, re.M)
