"""The cron recipes in contrib/ work as written: valid syntax, and real showpipe commands."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from ruamel.yaml import YAML

from showpipe.cli import cli

CONTRIB = Path(__file__).resolve().parent.parent / "contrib"
# minute, hour, day of month, month, day of week: the values each may take.
CRON_BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def check_cron_schedule(fields: list[str]) -> None:
    """Fail unless `fields` are the five time fields of a crontab line, each in range."""
    assert len(fields) == 5, fields
    for field, (low, high) in zip(fields, CRON_BOUNDS, strict=True):
        for part in field.split(","):
            match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
            assert match, f"{field!r} is not a cron field"
            numbers = [int(n) for n in match.groups()[1:] if n is not None]
            assert all(low <= n <= high for n in numbers[:2]), f"{field!r} is out of range"


def showpipe_commands(text: str) -> list[list[str]]:
    """Every showpipe invocation in a shell command line, as its arguments after `showpipe`."""
    found = []
    for match in re.finditer(r"(?:^|[\s/])showpipe((?: +[^\s&|;>]+)+)", text, re.MULTILINE):
        found.append(shlex.split(match.group(1)))
    return found


def check_command_exists(args: list[str]) -> None:
    """Parse `args` as the showpipe CLI would, without running anything."""
    # The group's own settings (-h): click caches each command's help option on first use.
    context = click.Context(cli, info_name="showpipe", **cli.context_settings)
    # The group's own options first; Command.parse_args leaves the command and its arguments.
    remaining = click.Command.parse_args(cli, context, list(args))
    name, command, rest = cli.resolve_command(context, remaining)
    assert command is not None, f"showpipe {name}: no such command"
    try:
        command.make_context(name or "", rest, parent=context)
    except click.UsageError as e:
        pytest.fail(f"showpipe {' '.join(args)}: {e}")


def test_crontab_lines_have_five_fields_and_run_showpipe() -> None:
    lines = (CONTRIB / "cron" / "crontab").read_text().splitlines()
    jobs = [
        line
        for line in lines
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert jobs
    for job in jobs:
        fields = job.split()
        check_cron_schedule(fields[:5])
        command = " ".join(fields[5:])
        # A percent sign is a newline to cron: it would cut the command short.
        assert "%" not in command
        commands = showpipe_commands(command)
        assert commands, job
        for args in commands:
            check_command_exists(args)


def read_unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_systemd_units_are_valid_and_run_showpipe() -> None:
    service = CONTRIB / "systemd" / "showpipe-feeds.service"
    timer = CONTRIB / "systemd" / "showpipe-feeds.timer"
    units = read_unit(service), read_unit(timer)
    assert units[0]["Service"]["Type"] == "oneshot"
    assert units[1]["Timer"]["OnCalendar"] and units[1]["Install"]["WantedBy"] == "timers.target"
    [args] = showpipe_commands(units[0]["Service"]["ExecStart"])
    check_command_exists(args)
    if shutil.which("systemd-analyze"):
        result = subprocess.run(
            ["systemd-analyze", "verify", str(service), str(timer)],
            capture_output=True,
            text=True,
        )
        # verify warns about unknown keys without failing: any output is a problem.
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr
        calendar = subprocess.run(
            ["systemd-analyze", "calendar", units[1]["Timer"]["OnCalendar"]], capture_output=True
        )
        assert calendar.returncode == 0


def test_github_workflow_is_scheduled_and_runs_showpipe() -> None:
    workflow = YAML(typ="safe").load((CONTRIB / "github" / "feeds.yml").read_text())
    [schedule] = workflow["on"]["schedule"]
    check_cron_schedule(schedule["cron"].split())
    [job] = workflow["jobs"].values()
    assert job["runs-on"]
    steps = job["steps"]
    assert all(("uses" in step) != ("run" in step) for step in steps)
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in steps)
    runs = [args for step in steps for args in showpipe_commands(step.get("run", ""))]
    assert runs
    for args in runs:
        check_command_exists(args)


@pytest.mark.parametrize(
    "bad",
    [["feedz"], ["feeds", "--bogus"], ["verify", "--now"]],
)
def test_a_misspelt_command_would_be_caught(bad: list[str]) -> None:
    with pytest.raises((AssertionError, click.UsageError, pytest.fail.Exception)):
        check_command_exists(bad)


def test_a_bad_schedule_would_be_caught() -> None:
    with pytest.raises(AssertionError):
        check_cron_schedule("*/10 * * *".split())
    with pytest.raises(AssertionError):
        check_cron_schedule("61 * * * *".split())
