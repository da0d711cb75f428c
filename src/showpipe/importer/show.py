"""`showpipe import`: turn an existing podcast feed into this project's YAML files.

A show that moves keeps its subscribers only if every GUID, date and number stays as it
was, so these are copied exactly; media stays on the old host unless `download` is asked.
Planning reads the feed (source.py, channel.py, items.py) and writes nothing; running looks
up sizes and fetches images (fetching.py), then writes every file at once, or nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slugify import slugify

from showpipe.config import Settings
from showpipe.errors import ImportFeedError
from showpipe.importer.channel import feed_yaml
from showpipe.importer.fetching import (
    Client,
    Fetched,
    Lookup,
    fetch,
    import_session,
    look_up,
    run_all,
)
from showpipe.importer.items import Inherited, episode_yaml
from showpipe.importer.people import persons
from showpipe.importer.report import CHANNEL_READ, ITEM_READ, ImportReport
from showpipe.importer.source import IT, Source, fetch_feed, flag, read_feed, text_of
from showpipe.media import HashCache
from showpipe.model.yamlfile import write_yaml
from showpipe.storage import ProgressBars, no_progress

MEDIA_KEYS = ("remote_audio", "remote_video")


@dataclass
class ImportPlan:
    """The YAML files an import writes (project-relative path -> data) and what it fetches."""

    feed_file: str
    yaml: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Each distinct image URL, and the YAML files that name it (fetched once, shared).
    images: dict[str, list[str]] = field(default_factory=dict)
    report: ImportReport = field(default_factory=ImportReport)
    # The digests of each file fetched (project path -> `file_digests`), taken as it arrived.
    digests: dict[str, tuple[str, str]] = field(default_factory=dict)


def _channel_artwork(source: Source) -> str | None:
    image = source.channel.find(f"{IT}image")
    href = image.get("href") if image is not None else None
    return source.absolute(href or text_of(source.channel.find("image"), "url"))


def _unique_slug(title: str, taken: set[str]) -> str:
    base = slugify(title, max_length=60, word_boundary=True) or "episode"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _medium(episodes: list[dict[str, Any]]) -> str:
    """audio, video, or audio_or_video for a show mixing both (no episode is lost)."""
    kinds = {key.removeprefix("remote_") for data in episodes for key in MEDIA_KEYS if key in data}
    return kinds.pop() if len(kinds) == 1 else "audio_or_video" if kinds else "audio"


def _repeated(data: dict[str, Any], guids: dict[str, str], report: ImportReport) -> bool:
    """Whether an earlier item has this item's GUID (apps list only one of the two)."""
    first = guids.setdefault(data["guid"], data["title"])
    if first is data["title"]:
        return False
    report.warn(
        f"item '{data['title']}' has the GUID of the earlier item '{first}' "
        "(podcast apps list only one of them); not imported"
    )
    return True


def plan_import(
    xml: bytes,
    *,
    fetched_from: str | None,
    name: str,
    settings: Settings,
    feed_url: str | None = None,
) -> ImportPlan:
    """Work out every file an import writes. Nothing is written or fetched here.

    Args:
        xml: the old feed.
        fetched_from: the URL it was fetched from (None: read from a file).
        name: the feed's name (`feeds/<name>.yaml`).
        settings: the project.
        feed_url: where the feed lived, when neither its self link nor `fetched_from` says.

    Raises:
        ImportFeedError: the feed cannot be parsed, or a file it would write exists.
    """
    source = read_feed(xml, fetched_from=fetched_from, feed_url=feed_url)
    plan = ImportPlan(f"feeds/{name}.yaml")
    report, channel = plan.report, source.channel
    hosts = persons(channel, source, report, level="channel")
    artwork = _channel_artwork(source)
    inherited = Inherited(bool(flag(text_of(channel, f"{IT}explicit"))), artwork, hosts)
    report.count_unsupported(channel, CHANNEL_READ, "channel")
    seasons = _plan_episodes(plan, source, inherited, settings)
    report.episodes = len(plan.yaml)
    report.medium = _medium(list(plan.yaml.values()))
    feed = feed_yaml(source, report.medium, hosts, report)
    if seasons:
        feed["seasons"] = dict(sorted(seasons.items()))
    plan.yaml = {plan.feed_file: feed, **plan.yaml}
    if artwork:
        plan.images[artwork] = [plan.feed_file, *plan.images.get(artwork, [])]
    else:
        report.warn("the feed has no artwork (itunes:image or image); add feeds' artwork")
    existing = [p for p in plan.yaml if (settings.root / p).exists()]
    if existing:
        raise ImportFeedError(f"{', '.join(existing)} exists already; import into an empty project")
    return plan


def _plan_episodes(
    plan: ImportPlan, source: Source, inherited: Inherited, settings: Settings
) -> dict[int, str]:
    """Each item as an episode file of the plan; returns the season names found."""
    seasons: dict[int, str] = {}
    guids: dict[str, str] = {}
    taken = {p.stem for p in settings.episodes_dir.glob("*.yaml")}
    items = source.channel.findall("item")
    plan.report.items = len(items)
    for item in items:
        plan.report.count_unsupported(item, ITEM_READ, "item")
        episode = episode_yaml(item, source, inherited, seasons, plan.report)
        if episode is None or _repeated(episode.data, guids, plan.report):
            continue
        path = f"episodes/{_unique_slug(episode.data['title'], taken)}.yaml"
        plan.yaml[path] = episode.data
        if episode.artwork:
            plan.images.setdefault(episode.artwork, []).append(path)
    return seasons


def _image_stem(yaml_file: str, name: str) -> str:
    if yaml_file.startswith("feeds/"):
        return f"feeds/artwork/{name}"
    return f"episodes/art/{Path(yaml_file).stem}"


def _relative(target: str, yaml_file: str) -> str:
    """`target` (project-relative) as the YAML file beside it names it."""
    parent = Path(yaml_file).parent
    try:
        return str(Path(target).relative_to(parent))
    except ValueError:
        return str(Path("..") / target)


def _remote_files(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [data[k] for k in MEDIA_KEYS if k in data] + list(data.get("remote_alternates", []))


def _network(
    plan: ImportPlan,
    client: Client,
    staging: Path,
    *,
    name: str,
    progress: ProgressBars,
) -> None:
    """Look up every length the old feed left out (or gave as 0 or 1) and fetch each
    distinct image once, all on one pool of workers; every YAML file naming an image gets
    the one copy."""
    missing = [f for data in plan.yaml.values() for f in _remote_files(data) if "length" not in f]
    urls = list(dict.fromkeys(f["url"] for f in missing))
    images = [(url, _image_stem(files[0], name)) for url, files in plan.images.items()]

    def work(job: tuple[str, str | None]) -> Lookup | Fetched:
        url, stem = job
        return look_up(client, url) if stem is None else fetch(client, url, stem, staging)

    jobs: list[tuple[str, str | None]] = [(url, None) for url in urls] + list(images)
    results = run_all(work, jobs, label="Looking up sizes, fetching images", progress=progress)
    lengths: dict[str, int] = {}
    for result in results:
        if isinstance(result, Lookup):
            _record_lookup(result, lengths, plan.report)
        else:
            _record_image(result, plan)
    plan.report.lookups = len(urls)
    for remote in missing:
        if remote["url"] in lengths:
            remote["length"] = lengths[remote["url"]]


def _record_lookup(lookup: Lookup, lengths: dict[str, int], report: ImportReport) -> None:
    if lookup.length is None:
        report.warn(str(lookup.problem))
    else:
        lengths[lookup.url] = lookup.length


def _record_image(result: Fetched, plan: ImportPlan) -> None:
    if result.relative is None:
        plan.report.warn(f"{result.problem}; the show's artwork is used instead")
        return
    plan.report.artwork_fetched += 1
    if result.digests:
        plan.digests[result.relative] = result.digests
    for yaml_file in plan.images[result.url]:
        plan.yaml[yaml_file]["artwork"] = _relative(result.relative, yaml_file)


def _download_media(
    plan: ImportPlan,
    client: Client,
    staging: Path,
    progress: ProgressBars,
) -> None:
    """--download: fetch each episode's media, to republish it from here."""
    for yaml_file, data in plan.yaml.items():
        for key in MEDIA_KEYS:
            if key not in data:
                continue
            stem = f"episodes/media/{Path(yaml_file).stem}"
            result = fetch(client, data[key]["url"], stem, staging, progress)
            if result.relative is None:
                plan.report.warn(f"{result.problem}; kept on the old host")
                continue
            if result.digests:
                plan.digests[result.relative] = result.digests
            del data[key]
            data[key.removeprefix("remote_")] = _relative(result.relative, yaml_file)


@contextmanager
def _staging(settings: Settings) -> Iterator[Path]:
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="import-", dir=settings.cache_dir))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_import(
    plan: ImportPlan,
    settings: Settings,
    client: Client,
    *,
    download_media: bool,
    readiness: Readiness | None = None,
    strict: bool = False,
    progress: ProgressBars = no_progress,
) -> list[Path]:
    """Look up, fetch, then write every file. A failed lookup or download is a warning in
    the report (the rest is written); with `strict`, any warning writes nothing.

    Raises:
        ImportFeedError: `strict` and there were warnings.
    """
    name = Path(plan.feed_file).stem
    with _staging(settings) as staging:
        _network(plan, client, staging, name=name, progress=progress)
        if download_media:
            _download_media(plan, client, staging, progress)
        if strict and plan.report.warnings:
            raise ImportFeedError(
                f"--strict: {len(plan.report.warnings)} warning(s), nothing written:\n"
                + "\n".join(plan.report.warnings)
            )
        for relative, data in plan.yaml.items():
            write_yaml(staging / relative, data)
        written = []
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = settings.root / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            written.append(target)
        _remember_digests(settings, plan.digests)
    if readiness is not None:
        plan.report.to_fill = unfinished(settings, plan, readiness)
    return written


def _remember_digests(settings: Settings, digests: dict[str, tuple[str, str]]) -> None:
    """Seed the build cache with the digests taken during the downloads (a move keeps a
    file's identity), so `check`, `feeds` and `publish` do not read each image again."""
    if not digests:
        return
    hashes = HashCache(settings.cache_dir)
    for relative, (digest, sri) in digests.items():
        hashes.remember(settings.root / relative, digest, sri)
    hashes.save()


# What `check` would still find in the written project, as `file:line: …` lines (it lives
# in showpipe.checks, a layer above this one, so the CLI passes it in).
Readiness = Callable[[Settings, dict[str, str]], list[str]]


def unfinished(settings: Settings, plan: ImportPlan, readiness: Readiness) -> list[str]:
    """What the written project still lacks before `check` passes, as `file:line: …`."""
    titles = {data["title"]: path for path, data in plan.yaml.items() if path != plan.feed_file}
    return readiness(settings, titles)


def import_show(
    source: str,
    settings: Settings,
    *,
    name: str,
    download_media: bool,
    readiness: Readiness | None = None,
    strict: bool = False,
    feed_url: str | None = None,
    progress: ProgressBars = no_progress,
) -> tuple[ImportPlan, list[Path]]:
    """`showpipe import`: read the feed at `source` (URL or file) and write the project's
    YAML; returns the plan (with its report) and the files written.

    Raises:
        ImportFeedError: the feed cannot be read, a file exists, or `strict` and warnings.
    """
    with import_session() as session:
        xml, fetched_from = fetch_feed(source, session)
        plan = plan_import(
            xml, fetched_from=fetched_from, name=name, settings=settings, feed_url=feed_url
        )
        client = Client(session)
        try:
            written = run_import(
                plan,
                settings,
                client,
                download_media=download_media,
                readiness=readiness,
                strict=strict,
                progress=progress,
            )
        finally:
            client.close()
    return plan, written
