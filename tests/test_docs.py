"""The README or docs/ documents every command, and every command has help text."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from showpipe.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
# The reference lives in docs/; a command documented there is documented.
DOCS = README + "".join(p.read_text() for p in sorted((REPO / "docs").glob("*.md")))


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += all_commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(cli))
def test_command_has_help_with_example_and_is_in_readme(name: str, command: click.Command) -> None:
    assert command.help and len(command.help) > 40
    assert "Example" in command.help
    assert f"showpipe {name}" in DOCS


def test_readme_opens_with_the_two_commands() -> None:
    blocks = README.split("```")
    first = blocks[1]
    assert "make run" in first and "make test" in first
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "make test" in ci
