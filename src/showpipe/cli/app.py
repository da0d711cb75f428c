"""The `showpipe` group: options every command shares, error handling, output helpers."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from showpipe import __version__, sealed
from showpipe.config import Settings, find_project_root, load_settings
from showpipe.errors import ProblemsFound, ShowpipeError
from showpipe.storage import Progress, ProgressBars, no_progress, open_storage

if TYPE_CHECKING:
    from showpipe.commands.run import Run
    from showpipe.model.published import PublishedEpisode
    from showpipe.model.show import Feed
    from showpipe.publishing.plan import Plan
    from showpipe.publishing.uploads import Upload


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

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """With --verbose, print `name` and how long it took once it is done."""
        started = time.perf_counter()
        yield
        self.detail(f"{name}: {time.perf_counter() - started:.2f} s")


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


def project_settings(ctx: click.Context, start: Path | None = None) -> Settings:
    options = ctx.find_root().params
    root = options["project"] or find_project_root(start or Path.cwd())
    s3 = {name: options[f"s3_{name}"] for name in S3_OPTIONS}
    return load_settings(
        Path(root), {"storage": options["storage"], "public_url": options["public_url"], "s3": s3}
    )


def progress_bars(out: Output) -> ProgressBars:
    """A progress bar per upload on a terminal; nothing for cron, pipes or --quiet."""
    stream = sys.stdout
    if out.verbosity < 0 or not stream.isatty():
        return no_progress

    @contextmanager
    def bar(label: str, total: int) -> Iterator[Progress]:
        lock = threading.Lock()  # s3transfer reports from its worker threads
        started, done = time.perf_counter(), [0]
        with click.progressbar(
            length=total, label=label, file=stream, show_eta=False, item_show_func=_rate_shown
        ) as progressbar:

            def advance(sent: int) -> None:
                with lock:
                    done[0] += sent
                    rate = transfer_rate(done[0], total, time.perf_counter() - started)
                    progressbar.update(sent, rate)

            yield advance

    return bar


def _rate_shown(rate: str | None) -> str | None:
    # Before the first bytes there is no rate: show nothing rather than "None".
    return rate


def transfer_rate(sent: int, total: int, seconds: float) -> str:
    """Throughput and time left of an upload, as `4.2 MB/s, 0:12 left`."""
    if seconds <= 0 or sent <= 0:
        return ""
    per_second = sent / seconds
    left = round(max(total - sent, 0) / per_second)
    minutes, secs = divmod(left, 60)
    return f"{human_size(round(per_second))}/s, {minutes}:{secs:02d} left"


def open_run(ctx: click.Context, now: datetime | None, start: Path | None = None) -> Run:
    """The project, its storage and the clock a command runs with, reporting to the terminal."""
    from showpipe.commands.run import Run

    out: Output = ctx.obj
    settings = project_settings(ctx, start)

    def uploading(upload: Upload) -> None:
        out.detail(f"uploading {upload.file.key} ({human_size(upload.file.size)})")

    return Run(
        settings,
        open_storage(settings),
        clock(now),
        progress=progress_bars(out),
        on_upload=uploading,
        step=out.step,
    )


def clock(value: datetime | None) -> datetime:
    """The clock: --now when given (a naive time counts as local), else the real time."""
    return (value or datetime.now()).astimezone()


now_option = click.option(
    "--now",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="Preview the run as at this time (ISO 8601): implies --dry-run, nothing is changed.",
)


def is_preview(out: Output, dry_run: bool, now: datetime | None) -> bool:
    """Whether a writing command only shows what it would do: with --dry-run, and always
    with --now, since the storage must only ever hold what is true at the real time."""
    if now is not None:
        out.say(f"Preview as at {clock(now).isoformat(timespec='minutes')}: nothing is changed.")
    elif dry_run:
        out.say("Dry run: nothing is changed.")
    return dry_run or now is not None


def render_scheduled(out: Output, scheduled: list[PublishedEpisode], feeds: list[Feed]) -> None:
    """One line per episode that joins its feeds later, and when."""
    for item in scheduled:
        names = [f"{f.name}.xml" for f in feeds if f.medium in item.record.media]
        when = item.episode.published
        at = f"{when:%Y-%m-%d %H:%M} {when.isoformat()[19:] or 'UTC'}"
        out.say(
            f"scheduled: '{item.episode.title}' joins {', '.join(names)} at {at} "
            "(the first cron run after that)"
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
    if verbosity == 1:
        # The libraries' own progress (boto3's retries, say). Without it, their warnings
        # still reach stderr as their bare message (logging's last-resort handler), and most
        # runs need not import logging at all.
        import logging

        logging.basicConfig(level=logging.INFO, format="%(message)s")


def warn(warnings: list[str]) -> None:
    """Print warnings on stderr, where cron mails them and pipes leave them alone."""
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def render_plan(out: Output, plan: Plan) -> None:
    for level in plan.levels:
        out.say(f"loudness {level}")
    for write in plan.yaml_writes:
        value = str(write.value).lower() if isinstance(write.value, bool) else write.value
        out.say(f"write {write.key}: {value} into {write.path.name}")
    for upload in plan.uploads:
        verb = "upload" if upload.needed else "skip  "
        note = "" if upload.needed else " (already stored)"
        out.say(f"{verb} {upload.file.key} ({human_size(upload.file.size)}){note}")
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
    for key in plan.deletions:
        out.say(f"delete {key}")


def main() -> None:
    # A run builds hundreds of thousands of small objects that live until it ends (a big
    # show's episodes, items, pages): collecting the youngest generation every 700 of them
    # spent about a tenth of a run's CPU walking objects that were never garbage. At 50,000 a
    # collection still fell among a `publish`'s imports, walking them: 15-20 ms of its 20-25
    # ms of collecting (timed with `gc.callbacks`), where 100,000 leaves 4-6 ms.
    gc.set_threshold(100_000, 20, 20)
    # And those a cache holds are frozen out of its reach once loaded: they live as long.
    sealed.FREEZE_LOADED = True
    # pydantic looks for plugins (an `importlib.metadata` scan of every installed package,
    # then importing each plugin, which for some is a whole SDK) when it builds the first
    # model. Nothing of showpipe's is meant to be observed by them; one who wants them can
    # set the variable to an empty value.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        cli(prog_name="showpipe")
    finally:
        # The process ends here and frees everything at once: spare the interpreter its last
        # full garbage collection over the run's objects (0.15 s after publishing 200 episodes).
        gc.freeze()
