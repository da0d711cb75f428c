"""Commands for the show on the web: serve, site, embed, verify, import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from showpipe.cli.app import (
    Output,
    cli,
    clock,
    dry_run_option,
    is_preview,
    now_option,
    open_run,
    progress_bars,
    project_settings,
)
from showpipe.storage import open_storage


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the local storage folder over HTTP, with Range requests, as podcast apps need.

    \b
    Example:
        showpipe serve --port 8000
        # then subscribe to http://localhost:8000/feeds/show.xml
    """
    from showpipe.errors import ConfigError
    from showpipe.storage.local import LocalStorage
    from showpipe.web.serve import serve_folder

    settings = project_settings(ctx)
    if settings.storage.startswith("s3://"):  # before open_storage asks for a public_url
        raise ConfigError(
            f"serve serves a local folder; this project publishes to {settings.storage}"
        )
    storage = open_storage(settings)
    assert isinstance(storage, LocalStorage)  # every target but s3:// is a folder
    serve_folder(storage.root, host=host, port=port)


@cli.command()
@dry_run_option
@now_option
@click.pass_context
def site(ctx: click.Context, dry_run: bool, now: datetime | None) -> None:
    """Build the show's web pages into the storage: show page, archive, episode pages,
    embeds, oEmbed responses, sitemap.xml, robots.txt and 404.html (docs/web.md).

    Only pages whose episodes changed are written. Prints nothing when no page changed.

    \b
    Example:
        showpipe site
        showpipe embed episodes/on-tools.yaml   # the iframe for an episode's player
    """
    from showpipe.commands.site import refresh_site

    settings = project_settings(ctx)
    preview = is_preview(ctx.obj, dry_run, now)
    outcome = refresh_site(
        settings,
        open_storage(settings),
        now=clock(now),
        open_run=lambda: open_run(ctx, now),
        dry_run=preview,
    )
    verb = "would update" if preview else "updated"
    for key in outcome.pages if outcome else []:
        ctx.obj.say(f"{verb} {settings.public_url}{key}")


@cli.command()
@click.argument("episode", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def embed(ctx: click.Context, episode: Path) -> None:
    """Print the iframe snippet that embeds a published episode's player in a website.

    The iframe is responsive: full width, 16:9 for a video, a compact strip for audio.

    \b
    Example:
        showpipe embed episodes/on-tools.yaml
    """
    from showpipe.errors import EpisodeError
    from showpipe.model.manifest import read_manifest
    from showpipe.model.project import load_project
    from showpipe.web.site import embed_snippet

    settings = project_settings(ctx, episode.parent)
    loaded = load_project(settings).episode_at(episode)
    record = read_manifest(open_storage(settings)).episodes.get(loaded.guid or "")
    if record is None or not record.media:
        raise EpisodeError(f"{episode}: not published yet; publish it first (showpipe publish)")
    click.echo(embed_snippet(settings.public_url, record, loaded.title))


@cli.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Fetch the published feeds and every file they name, as a podcast app does.

    Each feed must answer 200 with an RSS type and parse; each enclosure must answer a
    Range request with 206, its exact length and type; artwork, chapters and transcripts
    must be reachable, with CORS where web players need it. One line per problem.

    \b
    Example:
        showpipe verify
        showpipe --public-url https://cdn.example.com/show/ verify
    """
    from showpipe.checks.verify import verify_show
    from showpipe.errors import VerifyError
    from showpipe.feeds import feed_key
    from showpipe.model.project import load_project

    settings = project_settings(ctx)
    urls = [settings.public_url + feed_key(feed) for feed in load_project(settings).feeds]
    problems, checked = verify_show(urls)
    if problems:
        raise VerifyError(problems)
    ctx.obj.say(f"ok: {len(urls)} feed(s), {checked} file(s) checked")


@cli.command("import")
@click.argument("source")
@click.option("--name", default="show", show_default=True, help="Name of the feed file to write.")
@click.option("--download", is_flag=True, help="Also fetch the media, to republish it from here.")
@click.option("--strict", is_flag=True, help="Treat every warning as an error: write nothing.")
@click.option(
    "--feed-url", help="The URL the feed lived at (for a file without an atom:link rel=self)."
)
@click.pass_context
def import_(
    ctx: click.Context, source: str, name: str, download: bool, strict: bool, feed_url: str | None
) -> None:
    """Import an existing podcast feed (URL or file) as feeds/<name>.yaml and episodes/*.yaml.

    Every GUID, date, season and episode number, description, chapters and transcript
    link is kept, so subscribers and their played episodes carry over. Media stays where
    it is unless --download fetches it; images are fetched (each distinct one once).
    A file that cannot be fetched or measured is a warning; the rest is imported.

    \b
    Example:
        showpipe import https://old-host.example/feed.xml
        showpipe import --download --name show old-feed.xml
    """
    from showpipe.checks.imported import not_ready
    from showpipe.importer.show import import_show

    out: Output = ctx.obj
    settings = project_settings(ctx)
    plan, written = import_show(
        source,
        settings,
        name=name,
        download_media=download,
        readiness=lambda root, titles: not_ready(root, titles, now=datetime.now(UTC)),
        strict=strict,
        feed_url=feed_url,
        progress=progress_bars(out),
    )
    report = plan.report
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    out.say(f"Imported {report.episodes} episode(s) into {settings.root}: {len(written)} file(s).")
    for line in report.lines():
        out.say(line)
    if report.to_fill:
        out.say("To fill in before publishing:")
        for problem in report.to_fill:
            out.say(f"  {problem}")
    out.say("Next: showpipe check, then showpipe feeds (see docs/import.md).")
