"""`showpipe init`, and asking a person on a terminal for what a command was not given."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from showpipe.cli.app import cli
from showpipe.config import DEFAULT_PUBLIC_URL, DEFAULT_STORAGE


def ask(prompt: str, *, default: str | None = None, when: bool = False) -> Any:
    """Ask on a terminal (a time when `when`); None in cron, pipes and tests."""
    if not sys.stdin.isatty():
        return default
    kind = click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]) if when else str
    return click.prompt(prompt, default=default, type=kind)


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="The show's title.")
@click.option("--description", help="A few sentences about the show.")
@click.option("--author", help="Who makes it (also the owner and first host).")
@click.option("--email", help="The owner's email, which Apple and Spotify ask for.")
@click.option("--category", help="An Apple Podcasts category, e.g. Technology.")
@click.option("--language", help="Language code, e.g. en or de (default: en).")
@click.option("--video/--no-video", default=None, help="Also make a video feed.")
@click.pass_context
def init(ctx: click.Context, /, folder: Path, video: bool | None, **answers: str | None) -> None:
    """Make a new show's project: showpipe.toml, feeds/show.yaml (and feeds/videos.yaml with
    --video), .gitignore and a first episode. Asks on a terminal for what is not given.

    Storage and public URL come from --storage and --public-url (default: ./public served
    by `showpipe serve`).

    \b
    Example:
        showpipe init my-show --title "My Show" --author "Ada" --email ada@example.com \\
          --category Technology --description "Two friends talk about tools."
    """
    from showpipe.commands.init import NewShow, create_show

    required = ("title", "description", "author", "email", "category")
    for name in required:
        answers[name] = answers[name] or ask(name.capitalize())
    missing = [f"--{name}" for name in required if not answers[name]]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (or run on a terminal to be asked)")
    language = answers.pop("language") or ask("Language code", default="en") or "en"
    if video is None:
        video = sys.stdin.isatty() and click.confirm("Also a video feed?", default=False)
    root = ctx.find_root().params
    show = NewShow(
        **{k: str(v) for k, v in answers.items()},
        language=language,
        video=video,
        storage=root["storage"] or DEFAULT_STORAGE,
        public_url=root["public_url"] or DEFAULT_PUBLIC_URL,
    )
    for path in create_show(folder, show):
        ctx.obj.say(f"created {path}")
    ctx.obj.say(
        "Next: put the cover into feeds/artwork/ (see its README.txt), the recording into "
        "episodes/media/, fill in the episode, then `showpipe check` and `showpipe publish`."
    )
