"""Commands that publish: publish, feeds (cron), tag, check, new."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from showpipe.cli.app import (
    Output,
    cli,
    clock,
    dry_run_option,
    exclusive_run,
    human_size,
    id3v23_option,
    now_option,
    progress_bars,
    project_settings,
    render_plan,
)
from showpipe.errors import ValidationError, shown
from showpipe.storage import open_storage

if TYPE_CHECKING:
    from showpipe.publishing.plan import Plan
    from showpipe.publishing.uploads import Upload


@cli.command()
@click.argument(
    "episodes", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@dry_run_option
@now_option
@id3v23_option
@click.pass_context
def publish(
    ctx: click.Context,
    episodes: tuple[Path, ...],
    dry_run: bool,
    now: datetime | None,
    id3v23: bool,
) -> None:
    """Publish episodes: check them, tag and upload their files, and regenerate the feeds.

    An episode without a GUID gets one, written back into its YAML file. The original
    recordings are never modified: tagged copies are made in .showpipe/cache/ (even with
    --dry-run, which uploads nothing) and those are uploaded.

    \b
    Example:
        showpipe publish episodes/ep1.yaml
        showpipe publish --dry-run episodes/*.yaml
    """
    from showpipe.model.project import load_project
    from showpipe.publishing.notify import announce_changes
    from showpipe.publishing.plan import plan_is_current, plan_publish, run_plan
    from showpipe.web.site import build_site, changed_pages, write_site

    out: Output = ctx.obj
    settings = project_settings(ctx, episodes[0].parent)
    project = load_project(settings)
    storage = open_storage(settings)

    # One reading of the clock for the whole run: the feeds and the pages list the same episodes.
    at = clock(now)

    def planned() -> Plan:
        id3 = 3 if id3v23 else 4
        return plan_publish(project, storage, list(episodes), now=at, id3_version=id3)

    # Bad input stops here, before the lock or the lease is taken.
    plan = planned()
    if dry_run:
        out.say("Dry run: nothing is changed.")
        render_plan(out, plan)
        return

    def uploading(upload: Upload) -> None:
        out.detail(f"uploading {upload.file.key} ({human_size(upload.file.size)})")

    # The site is built once, checked, and written as built (unless the plan is redone).
    pages = build_site(plan.project, plan.manifest, now=at)
    # An unchanged show takes no lock and writes nothing: no PUT, however many episodes.
    if plan.changes_anything or changed_pages(storage, pages):
        with exclusive_run(settings, storage, "publish") as held:
            if not plan_is_current(plan, storage):
                plan = planned()  # another run published meanwhile: build on its manifest
                pages = build_site(plan.project, plan.manifest, now=at)
            bars = progress_bars(out)
            run_plan(
                plan, storage, on_upload=uploading, progress=bars, before_recording=held.confirm
            )
            write_site(storage, pages)
        for warning in announce_changes(plan):
            click.echo(f"Warning: {warning}", err=True)
    uploaded = [u for u in plan.uploads if u.needed]
    out.say(
        f"Published {len(episodes)} episode(s) to {storage.describe()}: "
        f"{len(uploaded)} file(s) uploaded, {len(plan.uploads) - len(uploaded)} already stored."
    )
    for feed in plan.feeds:
        out.say(f"  {feed.name}: {feed.url}" + ("" if feed.changed else " (unchanged)"))


@cli.command()
@dry_run_option
@now_option
@click.pass_context
def feeds(ctx: click.Context, dry_run: bool, now: datetime | None) -> None:
    """Regenerate every feed from what has been published (cron's command).

    Needs only the YAML files and the storage, not the media. Scheduled episodes appear
    once their publication time has passed. Prints nothing when no feed changed.

    \b
    Example (crontab, every 10 minutes):
        */10 * * * *  cd /srv/show && showpipe feeds
    """
    from showpipe.commands.feeds import refresh_feeds

    out: Output = ctx.obj
    settings = project_settings(ctx)
    storage = open_storage(settings)
    refreshed = refresh_feeds(settings, storage, now=clock(now), dry_run=dry_run)
    if refreshed is None:
        return  # nothing can have changed since the last run
    plan, warnings = refreshed
    if dry_run:
        render_plan(out, plan)
        return
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    for feed in plan.feeds:
        if feed.changed:
            out.say(f"updated {feed.url} (+{len(feed.added)} -{len(feed.removed)} items)")


@cli.command()
@click.argument("episode", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--delete-media", is_flag=True, help="Also delete its files from the storage (after the feeds)."
)
@dry_run_option
@now_option
@click.pass_context
def unpublish(
    ctx: click.Context, episode: Path, delete_media: bool, dry_run: bool, now: datetime | None
) -> None:
    """Take a published episode out of every feed; its files stay unless --delete-media.

    Writes `unpublished: true` into the episode's YAML (remove it and publish to bring the
    episode back, with the same GUID).

    \b
    Example:
        showpipe unpublish episodes/ep3.yaml
        showpipe unpublish --delete-media --dry-run episodes/ep3.yaml
    """
    from showpipe.model.project import load_project
    from showpipe.publishing.cleanup import plan_unpublish, run_unpublish
    from showpipe.publishing.notify import announce_changes
    from showpipe.web.site import build_site, write_site

    out: Output = ctx.obj
    settings = project_settings(ctx, episode.parent)
    project = load_project(settings)
    storage = open_storage(settings)
    if dry_run:
        out.say("Dry run: nothing is changed.")
    with nullcontext() if dry_run else exclusive_run(settings, storage, "unpublish"):
        down = plan_unpublish(project, storage, episode, now=clock(now), delete_media=delete_media)
        if dry_run:
            render_plan(out, down.plan)
        else:
            run_unpublish(down, storage, episode)
            write_site(storage, build_site(down.plan.project, down.plan.manifest, now=clock(now)))
    for warning in [] if dry_run else announce_changes(down.plan):
        click.echo(f"Warning: {warning}", err=True)
    verb = "would delete" if dry_run else "deleted"
    for key in down.delete:
        out.say(f"{verb} {key}")
    if not dry_run:
        out.say(f"Unpublished {episode}: it is in no feed now.")


@cli.command()
@now_option
@click.pass_context
def check(ctx: click.Context, now: datetime | None) -> None:
    """Validate the project and lint the feeds it would build; change nothing.

    Checks every YAML file and the files they name, then builds each feed from what is
    published and lints it against what podcast apps require (artwork, GUIDs, Apple's
    categories and types, https, durations, the Podcasting 2.0 schema…). Warnings are
    printed; errors make it exit 1.

    \b
    Example:
        showpipe check
        showpipe check --now 2026-12-24T09:00:00   # the feeds as they will be then
    """
    from showpipe.checks.project import check_project

    out: Output = ctx.obj
    settings = project_settings(ctx)
    report = check_project(settings, open_storage(settings), now=clock(now))
    for level in report.levels:
        out.say(f"loudness {level}")
    for finding in report.warnings:
        out.say(str(finding))
    if report.errors:
        raise ValidationError([str(f) for f in report.errors])
    note = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    out.say(f"ok: {report.feeds} feed(s), {report.episodes} episode(s){note}")


@cli.command()
@click.argument(
    "episodes", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@id3v23_option
@dry_run_option
@click.pass_context
def tag(ctx: click.Context, episodes: tuple[Path, ...], id3v23: bool, dry_run: bool) -> None:
    """Write the episodes' tags into copies of their media, and print where the copies are.

    Publishing does this too; `tag` lets you listen to the tagged files first. The copies
    go into .showpipe/cache/ and are reused while neither the recording nor the tags
    change. The original recordings are never modified.

    \b
    Example:
        showpipe tag episodes/ep1.yaml
        showpipe tag --id3v2.3 episodes/*.yaml
        showpipe tag --dry-run episodes/ep1.yaml   # check, and say what would be tagged
    """
    from showpipe.media.episodes import plan_tagging, tag_episodes

    out: Output = ctx.obj
    settings = project_settings(ctx, episodes[0].parent)
    version = 3 if id3v23 else 4
    if dry_run:
        for source, copy in plan_tagging(settings, list(episodes), id3_version=version):
            done = copy and f"{shown(source)} -> {shown(copy)} (unchanged)"
            out.say(done or f"would tag {shown(source)}")
        return
    for tagged in tag_episodes(settings, list(episodes), id3_version=version):
        note = " (unchanged, reused)" if tagged.copy.reused else ""
        out.say(f"{shown(tagged.copy.source)} -> {shown(tagged.copy.path)}{note}")


@cli.command()
@click.argument("title")
@click.option("--slug", help="File name for the episode (default: from the title).")
@click.pass_context
def new(ctx: click.Context, title: str, slug: str | None) -> None:
    """Create episodes/<slug>.yaml for a new episode, with a fresh GUID.

    \b
    Example:
        showpipe new "Interview with Grace"
    """
    from showpipe.commands.new import create_episode

    path = create_episode(project_settings(ctx), title, slug=slug, now=clock(None))
    ctx.obj.say(f"created {path}")
