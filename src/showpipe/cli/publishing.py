"""Commands that publish: publish, feeds (cron), tag, check, new."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from showpipe.cli.app import (
    Output,
    cli,
    clock,
    dry_run_option,
    id3v23_option,
    is_preview,
    now_option,
    open_run,
    project_settings,
    render_plan,
    render_scheduled,
    warn,
)
from showpipe.cli.start import ask
from showpipe.errors import ValidationError, shown
from showpipe.storage import open_storage


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

    The feeds are linted as they will be written: an error (a format Apple rejects, say)
    stops the publish before anything changes; warnings are printed.

    \b
    Example:
        showpipe publish episodes/ep1.yaml
        showpipe publish --dry-run episodes/*.yaml
        showpipe publish --now 2026-12-24T09:00:00 episodes/xmas.yaml   # preview that day
    """
    from showpipe.commands.publish import publish as publish_episodes
    from showpipe.model.published import scheduled_episodes

    out: Output = ctx.obj
    run = open_run(ctx, now, episodes[0].parent)
    preview = is_preview(out, dry_run, now)
    version = 3 if id3v23 else 4
    outcome = publish_episodes(run, episodes, id3_version=version, dry_run=preview)
    warn(outcome.warnings)
    plan = outcome.plan
    chosen = {e.source: e for e in map(plan.project.episode_at, episodes)}.values()
    later = scheduled_episodes(chosen, plan.manifest, run.now)
    if preview:
        render_plan(out, plan)
        render_scheduled(out, later, plan.project.feeds)
        return
    stored = len(plan.uploads) - len(outcome.uploaded)  # found whole, a killed run's included
    out.say(
        f"Published {len(episodes)} episode(s) to {run.storage.describe()}: "
        f"{len(outcome.uploaded)} file(s) uploaded, {stored} already stored."
    )
    for feed in outcome.plan.feeds:
        out.say(f"  {feed.name}: {feed.url}" + ("" if feed.changed else " (unchanged)"))
    render_scheduled(out, later, plan.project.feeds)


@cli.command()
@dry_run_option
@now_option
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --now or --dry-run: also write the would-be feeds into this folder.",
)
@click.pass_context
def feeds(ctx: click.Context, dry_run: bool, now: datetime | None, output: Path | None) -> None:
    """Regenerate every feed from what has been published (cron's command).

    Needs only the YAML files and the storage, not the media. Scheduled episodes appear
    once their publication time has passed. Prints nothing when no feed changed.

    \b
    Example (crontab, every 10 minutes):
        */10 * * * *  cd /srv/show && showpipe feeds
    \b
    Example (what the feeds will be on the 24th, written to ./preview/feeds/):
        showpipe feeds --now 2026-12-24T09:00:00 --output preview
    """
    from showpipe.commands.feeds import refresh_feeds, write_preview

    out: Output = ctx.obj
    if output is not None and not (dry_run or now):
        raise click.UsageError("--output writes a preview: give --now or --dry-run too")
    preview = is_preview(out, dry_run, now)
    outcome = refresh_feeds(open_run(ctx, now), dry_run=preview)
    if outcome is None:
        return  # nothing can have changed since the last run
    if preview:
        render_plan(out, outcome.plan)
        for path in write_preview(outcome.plan, output) if output else []:
            out.say(f"wrote {path}")
        return
    warn(outcome.warnings)
    for feed in outcome.plan.feeds:
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
    from showpipe.commands.publish import unpublish as unpublish_episode

    out: Output = ctx.obj
    run = open_run(ctx, now, episode.parent)
    preview = is_preview(out, dry_run, now)
    outcome = unpublish_episode(run, episode, delete_media=delete_media, dry_run=preview)
    if preview:
        render_plan(out, outcome.plan)
        return
    warn(outcome.warnings)
    for key in outcome.plan.deletions:
        out.say(f"deleted {key}")
    out.say(f"Unpublished {episode}: it is in no feed now.")


@cli.command()
@now_option
@click.pass_context
def check(ctx: click.Context, now: datetime | None) -> None:
    """Validate the project and lint the feeds it would build; change nothing.

    Checks every YAML file and the files they name, then builds each feed as it will be
    once every episode is out (those not published yet included) and lints it against what
    podcast apps require (artwork, GUIDs, Apple's categories and types, https, durations,
    the Podcasting 2.0 schema…). Warnings are printed; errors make it exit 1. Scheduled
    episodes are listed with the time they go live.

    \b
    Example:
        showpipe check
        showpipe check --now 2026-12-24T09:00:00   # the feeds as they will be then
    """
    from showpipe.checks.project import check_project

    out: Output = ctx.obj
    settings = project_settings(ctx)
    with out.step("check"):
        report = check_project(settings, open_storage(settings), now=clock(now))
    for level in report.levels:
        out.say(f"loudness {level}")
    for finding in report.warnings:
        out.say(str(finding))
    render_scheduled(out, report.scheduled, report.feeds)
    if report.errors:
        raise ValidationError([str(f) for f in report.errors])
    note = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    out.say(f"ok: {len(report.feeds)} feed(s), {report.episodes} episode(s){note}")


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
@click.option(
    "--published",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S"]),
    help="When it goes live (ISO 8601; asked on a terminal, else left for you to fill in).",
)
@click.option("--summary", help="One line for podcast apps' lists (asked on a terminal).")
@click.option("--season", type=click.IntRange(min=1), help="Its season (default: the latest).")
@click.option(
    "--episode", type=click.IntRange(min=1), help="Its number (default: the next free one)."
)
@click.pass_context
def new(
    ctx: click.Context,
    title: str,
    slug: str | None,
    published: datetime | None,
    summary: str | None,
    season: int | None,
    episode: int | None,
) -> None:
    """Create episodes/<slug>.yaml for a new episode, with a fresh GUID and the next free
    episode number.

    \b
    Example:
        showpipe new "Interview with Grace" --published 2026-12-07T09:00:00+01:00
    """
    from showpipe.commands.new import create_episode

    published = published or ask("Goes live at (e.g. 2026-12-07T09:00:00+01:00)", when=True)
    summary = summary or ask("Summary (one line)")
    path = create_episode(
        project_settings(ctx),
        title,
        slug=slug,
        # A time without a zone is the user's local time; one with a zone stays as written.
        published=published.astimezone() if published and not published.tzinfo else published,
        summary=summary,
        season=season,
        episode=episode,
    )
    ctx.obj.say(f"created {path}")
