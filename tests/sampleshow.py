"""The tests' shared helpers: the sample show published in-process at one fixed clock,
reading back what was published (a file's digest, a feed's items as an app sees them), and
seeing whether a file is opened at all.

Imported by test modules as `sampleshow` (tests/ is on sys.path, as for s3server and
faultproxy). Tests that need another clock, other episodes or other plan options say so
through the parameters, so the difference stays visible in the test.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import podcastparser
import xxhash

from showpipe.config import Settings
from showpipe.media.tags import TagSet
from showpipe.model.project import load_project
from showpipe.publishing.plan import plan_publish, run_plan
from showpipe.storage import Storage
from showpipe.storage.local import LocalStorage

# The suite's "now": after every sample episode, before the one the tests schedule for Christmas.
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# What tagging a recording outside the sample show writes, when the tags are not the point.
TAGS = TagSet(
    title="An hour, roughly",
    artists=("Ada",),
    album="The Sample Show",
    album_artist="Ada",
    date="2026-11-29",
    summary="s",
    description="d",
    feed_url="http://localhost:8000/feeds/show.xml",
)


def sample_episodes(settings: Settings) -> list[Path]:
    """Every episode YAML of the project, in name order (what `publish episodes/*.yaml` gets)."""
    return sorted(settings.episodes_dir.glob("*.yaml"))


def publish_into(
    storage: Storage,
    settings: Settings,
    paths: list[Path] | None = None,
    *,
    now: datetime = NOW,
    **options: Any,
) -> None:
    """Plan and run a publish of `paths` (default: every episode) into `storage`.

    Args:
        storage: Where to publish (local folder or S3).
        settings: The project's settings.
        paths: The episode files to publish; None for all of them.
        now: The clock the plan sees.
        **options: Further `plan_publish` keywords (make_guid, id3_version).
    """
    chosen = sample_episodes(settings) if paths is None else paths
    run_plan(plan_publish(load_project(settings), storage, chosen, now=now, **options), storage)


def publish_sample(
    settings: Settings, paths: list[Path] | None = None, *, now: datetime = NOW, **options: Any
) -> LocalStorage:
    """Publish to the project's ./public folder, as `showpipe publish` does by default.

    Takes the same arguments as `publish_into`; returns the local storage published to.
    """
    storage = LocalStorage(settings.root / "public")
    publish_into(storage, settings, paths, now=now, **options)
    return storage


def file_digest(path: Path) -> str:
    """A file's xxh3-128 digest, computed here independently of showpipe's own hashing."""
    return xxhash.xxh3_128_hexdigest(path.read_bytes())


def items_by_guid(xml: bytes, url: str = "feed") -> dict[str, dict[str, Any]]:
    """A feed's items as gPodder's podcastparser reads them, by GUID."""
    return {e["guid"]: e for e in podcastparser.parse(url, io.BytesIO(xml))["episodes"]}


# (resolved path, the opens seen) for each `opens_of` block running.
_WATCHED: list[tuple[str, list[str]]] = []


def _on_audit(event: str, args: tuple[Any, ...]) -> None:
    """An audit hook (PEP 578): `open` is raised by `open()`, `Path.open` and `os.open`."""
    if event == "open" and _WATCHED and isinstance(args[0], str | bytes | os.PathLike):
        opened = os.path.realpath(os.fsdecode(args[0]))
        for path, seen in _WATCHED:
            if opened == path:
                seen.append(str(args[1] or args[2]))


sys.addaudithook(_on_audit)  # hooks last for the process: it looks only while a block runs


@contextmanager
def opens_of(path: Path) -> Iterator[list[str]]:
    """Every time Python code opens `path` (by any name) while the block runs, with its mode:
    a cache that trusts a file's identity must not open the file at all. Opens made by C
    libraries (FFmpeg through PyAV) are not seen."""
    seen: list[str] = []
    watch = (os.path.realpath(path), seen)
    _WATCHED.append(watch)
    try:
        yield seen
    finally:
        _WATCHED.remove(watch)
