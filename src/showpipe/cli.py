"""The `showpipe` command: parses options, calls the library, renders what it returns."""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from showpipe import __version__
from showpipe.config import Settings, find_project_root, load_settings
from showpipe.errors import ProblemsFound, ShowpipeError, ValidationError, shown
from showpipe.storage import Progress, Storage, open_storage

if TYPE_CHECKING:
    from showpipe.lock import Held
    from showpipe.publish import Plan, ProgressBars, Upload


class ShowpipeGroup(click.Group):
    """Turns every ShowpipeError into one `Error: …` message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProblemsFound as e:
            count = len(e.problems)
            heading = "1 problem" if count == 1 else f"{count} problems"
            raise click.ClickException(f"{heading}:\n  " + "\n  ".join(e.problems)) from None
        except ShowpipeError as e:
            raise click.ClickException(str(e)) from None


class Output:
    """What a command prints: nothing with --quiet, details with --verbose."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity

    def say(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(message)

    def detail(self, message: str) -> None:
        if self.verbosity > 0:
            click.echo(message)


# The [s3] settings of showpipe.toml, each also a --s3-* flag and a SHOWPIPE_S3_* variable.
S3_OPTIONS = {
    "region": "S3 region (default: boto3's, e.g. AWS_REGION).",
    "endpoint_url": "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, or AWS).",
    "addressing_style": "S3 addressing: auto, path or virtual.",
    "profile": "Profile in ~/.aws/config to take credentials from.",
    "acl": "Canned ACL for every object, e.g. public-read (default: none).",
    "storage_class": "Storage class for media and artwork, e.g. STANDARD_IA.",
    "checksum": "when_required (default) or when_supported (CRC checksums on every upload).",
    "retry_mode": "botocore retry mode for throttling and 5xx: standard or adaptive.",
    "max_attempts": "Attempts per request before giving up (default 5).",
    "multipart_chunksize_mb": "Multipart part size in MB (default 8).",
    "max_concurrency": "Parallel upload connections (default 10).",
}


def s3_options(command: Any) -> Any:
    """Add the --s3-* options to a command, in S3_OPTIONS' order."""
    for name, help_text in reversed(S3_OPTIONS.items()):
        flag = "--s3-" + name.replace("_", "-")
        envvar = "SHOWPIPE_S3_" + name.upper()
        add = click.option(flag, f"s3_{name}", envvar=envvar, help=help_text)
        command = add(command)
    return command


def _settings(ctx: click.Context, start: Path | None = None) -> Settings:
    options = ctx.find_root().params
    root = options["project"] or find_project_root(start or Path.cwd())
    s3 = {name: options[f"s3_{name}"] for name in S3_OPTIONS}
    return load_settings(
        Path(root), {"storage": options["storage"], "public_url": options["public_url"], "s3": s3}
    )


def _progress_bars(out: Output) -> ProgressBars:
    """A progress bar per upload on a terminal; nothing for cron, pipes or --quiet."""
    from showpipe.publish import no_progress

    stream = sys.stdout
    if out.verbosity < 0 or not stream.isatty():
        return no_progress

    @contextmanager
    def bar(label: str, total: int) -> Iterator[Progress]:
        lock = threading.Lock()  # s3transfer reports from its worker threads
        with click.progressbar(length=total, label=label, file=stream) as progressbar:

            def advance(sent: int) -> None:
                with lock:
                    progressbar.update(sent)

            yield advance

    return bar


def _exclusive(settings: Settings, storage: Storage, command: str) -> AbstractContextManager[Held]:
    """The project's lock and the storage's lease, timed by the real clock (not --now)."""
    from showpipe.lock import exclusive

    return exclusive(settings.state_dir, storage, command, now=datetime.now(UTC))


def _now(value: datetime | None) -> datetime:
    """The clock: --now when given (a naive time counts as local), else the real time."""
    return (value or datetime.now()).astimezone()


now_option = click.option(
    "--now",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="Pretend it is this time (ISO 8601) when deciding which episodes are due.",
)
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print what would be done and change nothing."
)
id3v23_option = click.option(
    "--id3v2.3",
    "id3v23",
    is_flag=True,
    help="Write MP3 tags as ID3v2.3 (for old car stereos) instead of ID3v2.4.",
)


@click.group(cls=ShowpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="showpipe")
@click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SHOWPIPE_PROJECT",
    help="Project folder (default: the nearest folder with showpipe.toml or feeds/).",
)
@click.option(
    "--storage",
    envvar="SHOWPIPE_STORAGE",
    help="Where to publish: a local folder or s3://bucket/prefix.",
)
@click.option(
    "--public-url", envvar="SHOWPIPE_PUBLIC_URL", help="The URL the storage is served at."
)
@s3_options
@click.option("-q", "--quiet", "verbosity", flag_value=-1, help="Print only errors.")
@click.option("-v", "--verbose", "verbosity", flag_value=1, help="Print every step.")
@click.pass_context
def cli(ctx: click.Context, /, verbosity: int | None, **_: Any) -> None:
    """Publish podcast and video episodes: validate, tag, upload, and regenerate the feeds.

    \b
    Example:
        showpipe new "Our first episode"
        showpipe publish episodes/our-first-episode.yaml
        showpipe feeds        # from cron: scheduled episodes go live when due
    """
    ctx.obj = Output(verbosity or 0)
    logging.basicConfig(
        level=logging.INFO if verbosity == 1 else logging.WARNING, format="%(message)s"
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _render_plan(out: Output, plan: Plan) -> None:
    for path, guid in plan.guids_to_write:
        out.say(f"write guid {guid} into {path.name}")
    for upload in plan.uploads:
        verb = "upload" if upload.needed else "skip  "
        note = "" if upload.needed else " (already stored)"
        out.say(f"{verb} {upload.file.key} ({_size(upload.file.size)}){note}")
    for feed in plan.feeds:
        if not feed.changed:
            out.say(f"feed {feed.name}: unchanged")
            continue
        out.say(f"feed {feed.name}: {feed.url}")
        for label, titles in (
            ("add", feed.added),
            ("update", feed.updated),
            ("remove", feed.removed),
        ):
            for title in titles:
                out.say(f"  {label} {title}")


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
    from showpipe.followup import after_publishing
    from showpipe.project import load_project
    from showpipe.publish import plan_is_current, plan_publish, run_plan

    out: Output = ctx.obj
    settings = _settings(ctx, episodes[0].parent)
    project = load_project(settings)
    storage = open_storage(settings)

    def planned() -> Plan:
        id3 = 3 if id3v23 else 4
        return plan_publish(project, storage, list(episodes), now=_now(now), id3_version=id3)

    # Bad input stops here, before the lock or the lease is taken.
    plan = planned()
    if dry_run:
        out.say("Dry run: nothing is changed.")
        _render_plan(out, plan)
        return

    def uploading(upload: Upload) -> None:
        out.detail(f"uploading {upload.file.key} ({_size(upload.file.size)})")

    with _exclusive(settings, storage, "publish") as held:
        if not plan_is_current(plan, storage):
            plan = planned()  # another run published meanwhile: build on its manifest
        bars = _progress_bars(out)
        run_plan(plan, storage, on_upload=uploading, progress=bars, before_recording=held.confirm)
    for warning in after_publishing(project, storage, plan, now=_now(now)):
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
    from showpipe.cron import refresh_feeds

    out: Output = ctx.obj
    settings = _settings(ctx)
    storage = open_storage(settings)
    refreshed = refresh_feeds(settings, storage, now=_now(now), dry_run=dry_run)
    if refreshed is None:
        return  # nothing can have changed since the last run
    plan, warnings = refreshed
    if dry_run:
        _render_plan(out, plan)
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
    from showpipe.cleanup import plan_unpublish, run_unpublish
    from showpipe.project import load_project

    out: Output = ctx.obj
    settings = _settings(ctx, episode.parent)
    project = load_project(settings)
    storage = open_storage(settings)
    if dry_run:
        out.say("Dry run: nothing is changed.")
    with nullcontext() if dry_run else _exclusive(settings, storage, "unpublish"):
        down = plan_unpublish(project, storage, episode, now=_now(now), delete_media=delete_media)
        if dry_run:
            _render_plan(out, down.plan)
        else:
            run_unpublish(down, storage, episode)
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
    from showpipe.check import check_project

    out: Output = ctx.obj
    settings = _settings(ctx)
    report = check_project(settings, open_storage(settings), now=_now(now))
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
    from showpipe.tagging import plan_tagging, tag_episodes

    out: Output = ctx.obj
    settings = _settings(ctx, episodes[0].parent)
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
    from showpipe.scaffold import create_episode

    path = create_episode(_settings(ctx), title, slug=slug, now=_now(None))
    ctx.obj.say(f"created {path}")


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
    from showpipe.serve import serve_folder

    settings = _settings(ctx)
    serve_folder(settings.root / settings.storage, host=host, port=port)


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
    from showpipe.manifest import read_manifest
    from showpipe.project import load_project
    from showpipe.site import build_site, write_site

    settings = _settings(ctx)
    storage = open_storage(settings)
    project = load_project(settings)
    pages = build_site(project, read_manifest(storage), now=_now(now))
    for key in write_site(storage, pages):
        ctx.obj.say(f"updated {settings.public_url}{key}")


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
    from showpipe.manifest import read_manifest
    from showpipe.project import load_project
    from showpipe.site import embed_snippet

    settings = _settings(ctx, episode.parent)
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
    from showpipe.errors import VerifyError
    from showpipe.feeds import feed_key
    from showpipe.project import load_project
    from showpipe.verify import verify_show

    settings = _settings(ctx)
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

    from showpipe.importer import fetch_feed, plan_import, run_import

    out: Output = ctx.obj
    settings = _settings(ctx)
    with requests.Session() as session:
        session.headers["User-Agent"] = f"showpipe/{__version__} (import)"
        xml, url = fetch_feed(source, session)
        plan = plan_import(xml, url, name=name, settings=settings)
        for warning in plan.warnings:
            click.echo(f"Warning: {warning}", err=True)
        written = run_import(plan, settings, session, download_media=download)
    out.say(
        f"Imported {len(plan.yaml) - 1} episode(s) into {settings.root}: {len(written)} file(s)."
    )
    out.say(
        "Next: showpipe check, then showpipe publish episodes/*.yaml (see README: moving a show)."
    )


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
    from showpipe.doctor import run_doctor

    out: Output = ctx.obj
    settings = _settings(ctx)
    storage = open_storage(settings)
    out.say(f"Checking {storage.describe()} (public URL {settings.public_url})")
    checks = run_doctor(settings, storage, probe_id=uuid.uuid4().hex[:12])
    for check in checks:
        out.say(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        if not check.ok:
            out.say(f"      fix: {check.fix}")
    failed = [check.name for check in checks if not check.ok]
    if failed:
        raise ShowpipeError(f"{len(failed)} check(s) failed: {', '.join(failed)}")


@cli.group(name="storage")
def storage_group() -> None:
    """Set up the storage target.

    \b
    Example:
        showpipe storage cors
    """


@storage_group.command()
@click.option(
    "--origin",
    "origins",
    multiple=True,
    default=["*"],
    show_default=True,
    help="A web origin allowed to fetch files; repeat for several.",
)
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
    from showpipe.doctor import set_cors

    out: Output = ctx.obj
    storage = open_storage(_settings(ctx))
    rules = set_cors(storage, origins, dry_run=dry_run)
    verb = "Would set" if dry_run else "Set"
    out.say(f"{verb} CORS rules on {storage.describe()}:")
    for rule in rules["CORSRules"]:
        out.say(
            f"  allow {', '.join(rule['AllowedMethods'])} from {', '.join(rule['AllowedOrigins'])}"
        )


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
    from datetime import timedelta

    from showpipe.cleanup import find_leftovers, remove_leftovers

    out: Output = ctx.obj
    settings = _settings(ctx)
    storage = open_storage(settings)
    with _exclusive(settings, storage, "storage gc") if delete else nullcontext():
        found = find_leftovers(
            storage, now=datetime.now(UTC), older_than=timedelta(hours=older_than)
        )
        if delete:
            remove_leftovers(found, storage)
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


def main() -> None:
    cli(prog_name="showpipe")
