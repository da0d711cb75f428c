"""`showpipe import`: turn an existing podcast feed into this project's YAML files.

A show that moves keeps its subscribers only if every GUID, date and number stays as it
was, so these are copied exactly; media stays on the old host unless `download` is asked.
feedparser reads the RSS (odd dates, CDATA, HTML, sanitising); the Podcasting 2.0 tags it
does not know are read with lxml.
"""

from __future__ import annotations

import calendar
import mimetypes
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import requests
from lxml import etree
from markdownify import markdownify
from slugify import slugify

from showpipe.config import Settings
from showpipe.errors import ImportFeedError
from showpipe.feeds import podcast_guid
from showpipe.feeds.extensions import ITUNES_NS, PODCAST_NS
from showpipe.feeds.xml import parse_xml
from showpipe.model.fields import apple_categories
from showpipe.model.yamlfile import write_yaml
from showpipe.storage import ProgressBars, no_progress
from showpipe.times import parse_clock

ITUNES, PODCAST = f"{{{ITUNES_NS}}}", f"{{{PODCAST_NS}}}"
TIMEOUT = 30
IMAGE_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class Download:
    """A file to fetch into the project, and the YAML key that will name it."""

    url: str
    stem: str  # project-relative path without its suffix, which the content decides
    yaml_file: str
    key: str
    media: bool = False  # fetched only with --download


@dataclass
class ImportPlan:
    """The YAML files an import writes (project-relative path -> data) and what it fetches."""

    yaml: dict[str, dict[str, Any]] = field(default_factory=dict)
    downloads: list[Download] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fetch_feed(source: str, session: requests.Session) -> tuple[bytes, str]:
    """The feed's bytes and the URL it is known by (a file's path becomes a file: URL)."""
    if urlsplit(source).scheme in ("http", "https"):
        try:
            response = session.get(source, timeout=TIMEOUT)
            response.raise_for_status()
        except requests.RequestException as e:
            raise ImportFeedError(f"{source}: cannot fetch the feed ({e})") from e
        return response.content, response.url
    path = Path(source)
    try:
        return path.read_bytes(), path.resolve().as_uri()
    except OSError as e:
        raise ImportFeedError(f"{source}: cannot read the feed ({e.strerror})") from e


def _text(markup: str | None) -> str:
    """Plain text from HTML (or text) as feeds carry it."""
    if not markup or not markup.strip():
        return ""
    return " ".join(lxml.html.fromstring(f"<div>{markup}</div>").text_content().split())


def _published(entry: Any) -> datetime:
    """The item's date as written (with its offset) where it parses, else feedparser's UTC."""
    try:
        parsed = parsedate_to_datetime(entry.get("published", ""))
        if parsed.tzinfo is not None:
            return parsed
    except (TypeError, ValueError):
        pass
    if entry.get("published_parsed"):
        return datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)
    raise ImportFeedError(f"item '{entry.get('title', '?')}' has no publication date")


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _duration(value: Any) -> float | None:
    try:
        return parse_clock(str(value or "")) or None
    except ValueError:
        return None


def _flag(element: etree._Element | None, tag: str) -> bool:
    value = (element.findtext(tag) if element is not None else None) or ""
    return value.strip().lower() in ("yes", "true", "explicit")


def _persons(element: etree._Element, roles: tuple[str, ...]) -> list[dict[str, str]]:
    found = []
    for person in element.findall(f"{PODCAST}person"):
        role = (person.get("role") or "host").lower()
        if role in roles and (person.text or "").strip():
            entry = {"name": person.text.strip(), "role": role}
            entry |= {
                k: person.get(a) for k, a in (("link", "href"), ("image", "img")) if person.get(a)
            }
            found.append(entry)
    return found


def _categories(channel: etree._Element, warnings: list[str]) -> list[dict[str, str]]:
    known = apple_categories()
    categories = []
    for element in channel.findall(f"{ITUNES}category"):
        name = element.get("text", "")
        if name not in known:
            warnings.append(f"category '{name}' is not on Apple's list; left out")
            continue
        sub = element.find(f"{ITUNES}category")
        entry = {"category": name}
        if sub is not None and sub.get("text") in known[name]:
            entry["subcategory"] = sub.get("text", "")
        categories.append(entry)
    return categories


def _feed_yaml(
    parsed: Any, channel: etree._Element, url: str, warnings: list[str]
) -> dict[str, Any]:
    feed = parsed.feed
    owner = feed.get("publisher_detail") or {}
    author = feed.get("author") or owner.get("name") or feed.get("title", "")
    hosts = _persons(channel, ("host",)) or [{"name": author}]
    entries = parsed.entries
    video = any(
        e.get("enclosures") and e.enclosures[0].get("type", "").startswith("video/")
        for e in entries
    )
    data: dict[str, Any] = {
        "title": feed.get("title", ""),
        "description": _text(feed.get("subtitle") or feed.get("summary")) or feed.get("title", ""),
        "link": feed.get("link", ""),
        "language": (feed.get("language") or "en").lower(),
        "copyright": feed.get("rights"),
        "author": author,
        "owner": {"name": owner.get("name") or author, "email": owner.get("email", "")},
        "hosts": hosts,
        "categories": _categories(channel, warnings),
        "explicit": _flag(channel, f"{ITUNES}explicit"),
        "type": feed.get("itunes_type")
        if feed.get("itunes_type") in ("episodic", "serial")
        else "episodic",
        "medium": "video" if video else "audio",
        # Kept as it was: apps and the Podcast Index know the show by it after the move.
        "podcast_guid": (channel.findtext(f"{PODCAST}guid") or "").strip() or podcast_guid(url),
        "locked": _flag(channel, f"{PODCAST}locked"),
    }
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def _episode_yaml(
    entry: Any, item: etree._Element, warnings: list[str]
) -> tuple[dict[str, Any], str | None]:
    """An item as an episode's YAML data, and its artwork URL."""
    title = entry.get("title", "").strip() or "Untitled"
    enclosure = (entry.get("enclosures") or [{}])[0]
    guid = entry.get("id") or enclosure.get("href")
    if not guid:
        raise ImportFeedError(f"item '{title}' has neither a guid nor an enclosure")
    html_description = (entry.get("content") or [{}])[0].get("value") or entry.get("summary", "")
    kind = entry.get("itunes_episodetype")
    data: dict[str, Any] = {
        "guid": guid,
        "title": title,
        "published": _published(entry).isoformat(),
        "summary": _text(entry.get("summary")) or title,
        "description": markdownify(html_description, heading_style="ATX").strip() or title,
        "season": _number(entry.get("itunes_season")),
        "episode": _number(entry.get("itunes_episode")),
        "type": kind if kind in ("full", "trailer", "bonus") else "full",
        "explicit": _flag(item, f"{ITUNES}explicit"),
        "guests": _persons(item, ("guest",)),
        "chapters": [
            {
                k: v
                for k, v in (
                    ("start", c.get("start")),
                    ("title", c.get("title")),
                    ("link", c.get("href")),
                )
                if v
            }
            for c in (entry.get("psc_chapters") or {}).get("chapters", [])
        ],
        "keywords": [
            k.strip() for k in (item.findtext(f"{ITUNES}keywords") or "").split(",") if k.strip()
        ],
        "chapters_url": item.find(f"{PODCAST}chapters").get("url")
        if item.find(f"{PODCAST}chapters") is not None
        else None,
        "remote_transcripts": [
            {"url": t.get("url"), "type": t.get("type")}
            for t in item.findall(f"{PODCAST}transcript")
            if t.get("url") and t.get("type")
        ],
    }
    if enclosure.get("href"):
        medium = "video" if enclosure.get("type", "").startswith("video/") else "audio"
        data[f"remote_{medium}"] = {
            "url": enclosure["href"],
            "length": _number(enclosure.get("length")),
            "type": enclosure.get("type") or mimetypes.guess_type(enclosure["href"])[0],
            "duration": _duration(entry.get("itunes_duration")),
        }
    else:
        warnings.append(f"item '{title}' has no enclosure; it cannot be published until it has one")
    artwork = (entry.get("image") or {}).get("href")
    return {k: v for k, v in data.items() if v not in (None, "", [])}, artwork


def _unique_slug(title: str, taken: set[str]) -> str:
    base = slugify(title, max_length=60, word_boundary=True) or "episode"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def plan_import(xml: bytes, url: str, *, name: str, settings: Settings) -> ImportPlan:
    """Work out every file an import writes. Nothing is written or downloaded here.

    Raises:
        ImportFeedError: the feed cannot be parsed, or a file it would write exists.
    """
    parsed = feedparser.parse(xml)
    try:
        root = parse_xml(xml, recover=True)
    except etree.XMLSyntaxError as e:
        raise ImportFeedError(f"{url}: not an RSS feed ({e})") from e
    channel = root.find("channel") if root is not None else None
    if channel is None or not parsed.feed.get("title"):
        raise ImportFeedError(f"{url}: not a podcast RSS feed (no channel with a title)")
    plan = ImportPlan()
    feed = _feed_yaml(parsed, channel, url, plan.warnings)
    artwork = (parsed.feed.get("image") or {}).get("href")
    if not artwork:
        raise ImportFeedError(f"{url}: the feed has no artwork (itunes:image)")
    plan.yaml[f"feeds/{name}.yaml"] = feed
    plan.downloads.append(
        Download(artwork, f"feeds/artwork/{name}", f"feeds/{name}.yaml", "artwork")
    )
    taken = {p.stem for p in settings.episodes_dir.glob("*.yaml")}
    for entry, item in zip(parsed.entries, channel.iter("item"), strict=False):
        data, episode_art = _episode_yaml(entry, item, plan.warnings)
        slug = _unique_slug(data["title"], taken)
        path = f"episodes/{slug}.yaml"
        plan.yaml[path] = data
        if episode_art:
            plan.downloads.append(Download(episode_art, f"episodes/art/{slug}", path, "artwork"))
        for medium in ("audio", "video"):
            if f"remote_{medium}" in data:
                url = data[f"remote_{medium}"]["url"]
                plan.downloads.append(Download(url, f"episodes/media/{slug}", path, medium, True))
    existing = [p for p in plan.yaml if (settings.root / p).exists()]
    if existing:
        raise ImportFeedError(f"{', '.join(existing)} exists already; import into an empty project")
    return plan


def _suffix(url: str, content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    suffix = IMAGE_SUFFIXES.get(kind) or Path(urlsplit(url).path).suffix.lower()
    return suffix or mimetypes.guess_extension(kind) or ""


def _fetch(
    session: requests.Session, download: Download, staging: Path, progress: ProgressBars
) -> str:
    """Fetch one file into `staging`, with a progress display; return its project path."""
    try:
        with session.get(download.url, stream=True, timeout=TIMEOUT) as response:
            response.raise_for_status()
            relative = download.stem + _suffix(download.url, response.headers.get("Content-Type"))
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            total = int(response.headers.get("Content-Length", 0))
            with target.open("wb") as f, progress(relative, total) as advance:
                for chunk in response.iter_content(1 << 20):
                    f.write(chunk)
                    advance(len(chunk))
    except requests.RequestException as e:
        raise ImportFeedError(f"{download.url}: cannot download ({e})") from e
    return relative


def _measure_remote(session: requests.Session, data: dict[str, Any], medium: str) -> None:
    """Fill in a remote file's exact length from the server when the old feed left it out."""
    remote = data.get(f"remote_{medium}")
    if not remote or remote.get("length"):
        return
    try:
        response = session.head(remote["url"], allow_redirects=True, timeout=TIMEOUT)
        length = int(response.headers.get("Content-Length", 0))
    except (requests.RequestException, ValueError) as e:
        raise ImportFeedError(f"{remote['url']}: cannot measure ({e})") from e
    if response.status_code != 200 or length <= 0:
        raise ImportFeedError(
            f"{remote['url']}: the old feed gives no length and the server tells none "
            f"(HTTP {response.status_code}); use --download to fetch and measure it"
        )
    remote["length"] = length


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
    session: requests.Session,
    *,
    download_media: bool,
    progress: ProgressBars = no_progress,
) -> list[Path]:
    """Fetch what the plan needs, then write every file; nothing is written if a step fails."""
    with _staging(settings) as staging:
        for download in plan.downloads:
            if download.media and not download_media:
                continue
            relative = _fetch(session, download, staging, progress)
            data = plan.yaml[download.yaml_file]
            data.pop(f"remote_{download.key}", None)
            data[download.key] = str(Path(relative).relative_to(Path(download.yaml_file).parent))
        for data in plan.yaml.values():
            for medium in ("audio", "video"):
                _measure_remote(session, data, medium)
        for relative, data in plan.yaml.items():
            write_yaml(staging / relative, data)
        written = []
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = settings.root / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            written.append(target)
    return written
