"""An old feed's item as `episodes/<slug>.yaml`.

What subscribers' apps know an episode by is copied exactly: GUID, date (with its offset),
enclosure URL, length and type, numbers. Values the channel gives its items (explicit,
artwork, hosts) are written only where an item differs, so the episode inherits the rest.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from dateutil import parser as dateparser
from lxml import etree

from showpipe.importer.people import persons
from showpipe.importer.report import ImportReport
from showpipe.importer.source import IT, PSC, P, Source, flag, text_of
from showpipe.importer.text import richest, to_markdown, to_plain
from showpipe.importer.value import value_of
from showpipe.model.fields import REMOTE_TRANSCRIPT_TYPES
from showpipe.times import parse_clock

_MEDIA_TYPE = re.compile(r"^(audio|video)/[\w.+-]+$")
_FILE_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
# Below this many bytes an enclosure length is a placeholder (0, 1): looked up instead.
PLACEHOLDER_LENGTH = 2


@dataclass(frozen=True)
class Inherited:
    """What the channel says for every item that does not say otherwise."""

    explicit: bool
    artwork: str | None
    hosts: list[dict[str, Any]]


@dataclass(frozen=True)
class Item:
    """An item as episode YAML data, and its own artwork URL (None: the channel's)."""

    data: dict[str, Any]
    artwork: str | None


def published(item: etree._Element) -> datetime | None:
    """The item's date as written, with its offset (RFC 822, else whatever dateutil reads).

    A date without a zone, or with RFC 2822's "-0000" (UTC, source unknown), is UTC.
    """
    text = text_of(item, "pubDate")
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            parsed = dateparser.parse(text)
        except (ValueError, OverflowError):
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def duration(text: str) -> float | None:
    """itunes:duration as seconds: `SS`, `MM:SS` or `HH:MM:SS`; None if absent or zero."""
    try:
        seconds = parse_clock(text, strict=False)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def media_type(url: str, given: str, report: ImportReport, title: str) -> str | None:
    """An enclosure's MIME type as given, unless it is not an audio/video type."""
    given = given.strip().lower()
    if _MEDIA_TYPE.match(given):
        return given
    guessed = mimetypes.guess_type(url.split("?")[0])[0]
    if guessed and _MEDIA_TYPE.match(guessed):
        report.warn(f"item '{title}': enclosure type '{given}' written as {guessed}")
        return guessed
    return None


def remote(url: str, length: str, kind: str, seconds: float | None) -> dict[str, Any]:
    """A remote file's YAML; a placeholder length is left for a HEAD lookup to fill in."""
    number = int(length) if length.strip().isdigit() else 0
    data: dict[str, Any] = {"url": url, "length": number, "type": kind, "duration": seconds}
    if number < PLACEHOLDER_LENGTH:
        del data["length"]
    return {k: v for k, v in data.items() if v is not None}


def _enclosure(
    item: etree._Element, source: Source, seconds: float | None, report: ImportReport, title: str
) -> tuple[str, dict[str, Any]] | None:
    element = item.find("enclosure")
    url = source.absolute(element.get("url")) if element is not None else None
    if element is None or url is None:
        return None
    kind = media_type(url, element.get("type", ""), report, title)
    if kind is None:
        report.warn(f"item '{title}': enclosure type '{element.get('type')}' is not audio or video")
        return None
    return kind.split("/")[0], remote(url, element.get("length", ""), kind, seconds)


def _alternates(
    item: etree._Element, source: Source, main: str, seconds: float | None, report: ImportReport
) -> list[dict[str, Any]]:
    """podcast:alternateEnclosure renditions that showpipe can list (audio or video over
    http(s)); others (HLS, torrents, IPFS) are counted in the report."""
    found = []
    for alternate in item.findall(f"{P}alternateEnclosure"):
        kind = (alternate.get("type") or "").strip().lower()
        uris = [source.absolute(s.get("uri")) for s in alternate.findall(f"{P}source")]
        url = next((u for u in uris if u and u.startswith("http")), None)
        if not _MEDIA_TYPE.match(kind) or url is None or url == main:
            if url != main:
                report.unsupported[f"podcast:alternateEnclosure of type {kind or '?'}"] += 1
            continue
        found.append(remote(url, alternate.get("length", ""), kind, seconds))
    return found


def _chapters(item: etree._Element, source: Source) -> list[dict[str, Any]]:
    found = []
    for chapter in item.findall(f"{PSC}chapters/{PSC}chapter"):
        title, start = (chapter.get("title") or "").strip(), chapter.get("start")
        if title and start:
            entry = {"start": start.strip(), "title": title}
            link = source.absolute(chapter.get("href"))
            found.append(entry | ({"link": link} if link else {}))
    return found


# Names real feeds give SRT besides the namespace's own, application/x-subrip.
SRT_ALIASES = {"application/srt", "text/srt", "application/x-srt", "text/x-srt"}


def _transcripts(
    item: etree._Element, source: Source, report: ImportReport, title: str
) -> list[dict[str, str]]:
    found = []
    for element in item.findall(f"{P}transcript"):
        url = source.absolute(element.get("url"))
        kind = (element.get("type") or "").split(";")[0].strip().lower()
        kind = "application/x-subrip" if kind in SRT_ALIASES else kind
        if url and kind in REMOTE_TRANSCRIPT_TYPES:
            found.append({"url": url, "type": kind})
        elif url:
            report.warn(f"item '{title}': transcript type '{kind}' is not one apps read; left out")
    return found


def _soundbites(item: etree._Element) -> list[dict[str, Any]]:
    found = []
    for element in item.findall(f"{P}soundbite"):
        try:
            start, length = float(element.get("startTime", "")), float(element.get("duration", ""))
        except ValueError:
            continue
        if start >= 0 and 0 < length <= 600:
            title = " ".join((element.text or "").split())[:128]
            found.append({"start": start, "duration": length} | ({"title": title} if title else {}))
    return found


def _numbers(item: etree._Element, seasons: dict[int, str]) -> dict[str, Any]:
    """Season and episode numbers: Apple's tags, else Podcasting 2.0's; season names kept."""
    season_tag = item.find(f"{P}season")
    season = _number(text_of(item, f"{IT}season")) or _number(text_of(item, f"{P}season"))
    if season and season_tag is not None and season_tag.get("name"):
        seasons.setdefault(season, season_tag.get("name", "")[:128])
    episode = _number(text_of(item, f"{IT}episode")) or _number(text_of(item, f"{P}episode"))
    return {"season": season, "episode": episode}


def _guid(item: etree._Element, url: str, title: str, report: ImportReport) -> str:
    guid = text_of(item, "guid")
    if guid:
        report.guids_kept += 1
        return guid
    # What podcast apps key such an item by: its enclosure URL (podcastparser, AntennaPod).
    report.warn(f"item '{title}' has an empty or no <guid>: its enclosure URL is its GUID now")
    return url


def episode_yaml(
    item: etree._Element,
    source: Source,
    inherited: Inherited,
    seasons: dict[int, str],
    report: ImportReport,
) -> Item | None:
    """An item as episode YAML data; None (reported) for an item showpipe cannot list."""
    title = " ".join(text_of(item, "title").split())[:255] or text_of(item, f"{IT}title")
    title = title or "Untitled"
    seconds = duration(text_of(item, f"{IT}duration"))
    enclosure = _enclosure(item, source, seconds, report, title)
    if enclosure is None:
        report.warn(f"item '{title}' has no audio or video enclosure; not imported")
        return None
    date = published(item)
    if date is None:
        report.warn(f"item '{title}' has no publication date; not imported")
        return None
    medium, media = enclosure
    description = richest(item)
    explicit = flag(text_of(item, f"{IT}explicit"))
    hosts = persons(item, source, report, level="item")
    image = item.find(f"{IT}image")
    artwork = source.absolute(image.get("href")) if image is not None else None
    kind = text_of(item, f"{IT}episodeType").lower()
    data: dict[str, Any] = {
        "guid": _guid(item, media["url"], title, report),
        "title": title,
        "published": date.isoformat(),
        "link": source.absolute(text_of(item, "link")),
        "summary": to_plain(text_of(item, f"{IT}subtitle") or description) or title,
        "description": to_markdown(description) or title,
        **_numbers(item, seasons),
        "type": kind if kind in ("trailer", "bonus") else None,
        "explicit": None if explicit in (None, inherited.explicit) else explicit,
        "block": bool(flag(text_of(item, f"{IT}block"))),
        "hosts": _own_hosts(hosts, inherited),
        "guests": [p for p in hosts if p["role"] != "host"],
        "chapters": _chapters(item, source),
        "keywords": [k.strip() for k in text_of(item, f"{IT}keywords").split(",") if k.strip()],
        f"remote_{medium}": media,
        "remote_alternates": _alternates(item, source, media["url"], seconds, report),
        "remote_transcripts": _transcripts(item, source, report, title),
        "chapters_url": _chapters_url(item, source),
        "soundbites": _soundbites(item),
        "value": value_of(item, report),
    }
    own_hosts, explicit = data.pop("hosts"), data.pop("explicit")
    data = {k: v for k, v in data.items() if v not in (None, "", [], False)}
    if explicit is not None:
        data["explicit"] = explicit  # only where it differs from the show's (may be false)
    if own_hosts is not None:
        data["hosts"] = own_hosts  # may be empty: an item naming only guests
    return Item(data, artwork if artwork != inherited.artwork else None)


def _own_hosts(found: list[dict[str, Any]], inherited: Inherited) -> list[dict[str, Any]] | None:
    """The item's hosts when it names people (its persons replace the channel's), unless
    they are the channel's own; None: the item inherits the channel's."""
    hosts = [p for p in found if p["role"] == "host"]
    if not found or hosts == inherited.hosts:
        return None
    return hosts


def _chapters_url(item: etree._Element, source: Source) -> str | None:
    element = item.find(f"{P}chapters")
    return source.absolute(element.get("url")) if element is not None else None
