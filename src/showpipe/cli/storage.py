"""Commands that look after the storage target: doctor, storage cors, storage gc."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from showpipe.cli.app import Output, cli, dry_run_option, open_run, project_settings
from showpipe.errors import ShowpipeError
from showpipe.storage import open_storage

if TYPE_CHECKING:
    from showpipe.checks.doctor import Check


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the storage target before the first publish; one line per check, with the fix.

    Checks credentials, that the bucket answers, writing and deleting a probe object, reading
    it through the public URL, a Range request answered 206, and CORS for web players.

    \b
    Example:
        showpipe doctor
        SHOWPIPE_STORAGE=s3://my-show/podcast \\
          SHOWPIPE_PUBLIC_URL=https://cdn.example/podcast/ showpipe doctor
    """
    from showpipe.checks.doctor import run_doctor

    out: Output = ctx.obj
    settings = project_settings(ctx)
    storage = open_storage(settings)
    out.say(f"Checking {storage.describe()} (public URL {settings.public_url})")
    checks = run_doctor(settings, storage, probe_id=uuid.uuid4().hex[:12])
    render_checks(out, checks, "check(s) failed")


def render_checks(out: Output, checks: list[Check], failure: str) -> None:
    """One line per check, the fix under a failed one; exit 1 when any failed."""
    for check in checks:
        out.say(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        if not check.ok:
            out.say("      fix: " + check.fix.replace("\n", "\n      "))
    failed = [check.name for check in checks if not check.ok]
    if failed:
        raise ShowpipeError(f"{len(failed)} {failure}: {', '.join(failed)}")


origins_option = click.option(
    "--origin",
    "origins",
    multiple=True,
    default=["*"],
    show_default=True,
    help="A web origin allowed to fetch files; repeat for several.",
)


@cli.group(name="storage")
def storage_group() -> None:
    """Set up the storage target.

    \b
    Example:
        showpipe storage cors
    """


@storage_group.command()
@origins_option
@dry_run_option
@click.pass_context
def cors(ctx: click.Context, origins: tuple[str, ...], dry_run: bool) -> None:
    """Set the bucket's CORS rules so web players and Podcasting 2.0 apps can fetch media,
    chapters and transcripts (GET and HEAD, with Range).

    \b
    Example:
        showpipe storage cors
        showpipe storage cors --origin https://example.com --origin https://player.example
    """
    from showpipe.checks.doctor import set_cors

    out: Output = ctx.obj
    storage = open_storage(project_settings(ctx))
    rules = set_cors(storage, origins, dry_run=dry_run)
    verb = "Would set" if dry_run else "Set"
    out.say(f"{verb} CORS rules on {storage.describe()}:")
    for rule in rules["CORSRules"]:
        out.say(
            f"  allow {', '.join(rule['AllowedMethods'])} from {', '.join(rule['AllowedOrigins'])}"
        )


@storage_group.command()
@origins_option
@click.pass_context
def setup(ctx: click.Context, origins: tuple[str, ...]) -> None:
    """Create the bucket, its CORS rules and a policy letting anyone read the show's objects,
    where the provider allows it; says what to do by hand where it does not.

    \b
    Example:
        showpipe storage setup
        showpipe doctor        # then check it from the outside
    """
    from showpipe.checks.doctor import setup_storage

    out: Output = ctx.obj
    storage = open_storage(project_settings(ctx))
    render_checks(out, setup_storage(storage, origins), "step(s) not done")


@storage_group.command()
@click.option("--delete", is_flag=True, help="Delete what is listed (default: only list it).")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=24,
    show_default=True,
    help="Hours an unfinished upload must be old to count as abandoned.",
)
@click.pass_context
def gc(ctx: click.Context, delete: bool, older_than: int) -> None:
    """List leftovers in the storage: objects no episode or feed uses, and unfinished
    (multipart) uploads of killed runs; delete them only with --delete.

    \b
    Example:
        showpipe storage gc
        showpipe storage gc --delete --older-than 1
    """
    from showpipe.commands.storage import collect_garbage

    out: Output = ctx.obj
    # Abandoned uploads are aged by the real clock.
    run = open_run(ctx, datetime.now(UTC))
    found = collect_garbage(run, older_than=timedelta(hours=older_than), delete=delete)
    verb = "deleted" if delete else "unreferenced"
    for key in found.unreferenced:
        out.say(f"{verb} {key}")
    for upload in found.incomplete:
        out.say(
            f"{'aborted' if delete else 'unfinished'} upload of {upload.key} "
            f"(started {upload.started:%Y-%m-%d %H:%M} UTC)"
        )
    total = len(found.unreferenced) + len(found.incomplete)
    if not total:
        out.say("No leftovers.")
    elif not delete:
        out.say(f"{total} leftover(s); run `showpipe storage gc --delete` to remove them.")
