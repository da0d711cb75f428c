"""Commands for the show on the web: serve, site, embed, verify, import."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from showpipe import __version__
from showpipe.cli.app import Output, cli, now_option, open_run, progress_bars, project_settings
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
@now_option
@click.pass_context
def site(ctx: click.Context, now: datetime | None) -> None:
    """Build the show page (index.html) and the video embed pages into the storage.

    Pages list the published episodes newest first, with players, chapters and links to
    the feeds. Prints nothing when no page changed.

    \b
    Example:
        showpipe site
        showpipe embed episodes/on-tools.yaml   # the iframe for a video episode
    """
    from showpipe.commands.publish import build_show_site

    run = open_run(ctx, now)
    for key in build_show_site(run).pages:
        ctx.obj.say(f"updated {run.settings.public_url}{key}")


@cli.command()
@click.argument("episode", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def embed(ctx: click.Context, episode: Path) -> None:
    """Print the iframe snippet that embeds a published video episode in a website.

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
    if record is None or "video" not in record.media:
        raise EpisodeError(f"{episode}: no published video; publish an episode with a video first")
    click.echo(embed_snippet(settings.public_url, record.slug, loaded.title))


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
@click.pass_context
def import_(ctx: click.Context, source: str, name: str, download: bool) -> None:
    """Import an existing podcast feed (URL or file) as feeds/<name>.yaml and episodes/*.yaml.

    Every GUID, date, season and episode number, description, chapters and transcript
    link is kept, so subscribers and their played episodes carry over. Media stays where
    it is unless --download fetches it; artwork is always fetched.

    \b
    Example:
        showpipe import https://old-host.example/feed.xml
        showpipe import --download --name show old-feed.xml
    """
    import requests

    from showpipe.importer.show import fetch_feed, plan_import, run_import

    out: Output = ctx.obj
    settings = project_settings(ctx)
    with requests.Session() as session:
        session.headers["User-Agent"] = f"showpipe/{__version__} (import)"
        xml, url = fetch_feed(source, session)
        plan = plan_import(xml, url, name=name, settings=settings)
        for warning in plan.warnings:
            click.echo(f"Warning: {warning}", err=True)
        written = run_import(
            plan, settings, session, download_media=download, progress=progress_bars(out)
        )
    out.say(
        f"Imported {len(plan.yaml) - 1} episode(s) into {settings.root}: {len(written)} file(s)."
    )
    out.say(
        "Next: showpipe check, then showpipe publish episodes/*.yaml (see README: moving a show)."
    )
