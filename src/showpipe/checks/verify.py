"""`showpipe verify`: check the published show over HTTP the way a podcast app would."""

from __future__ import annotations

import io
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import podcastparser
import requests
from lxml import etree

from showpipe.feeds.chapters import CHAPTERS_TYPE
from showpipe.feeds.extensions import ITUNES_NS, MEDIA_NS, PODCAST_NS
from showpipe.feeds.xml import parse_xml

ITUNES, PODCAST, MEDIA = f"{{{ITUNES_NS}}}", f"{{{PODCAST_NS}}}", f"{{{MEDIA_NS}}}"
FEED_TYPES = ("application/rss+xml", "application/xml", "text/xml")
# Equivalent spellings of one media type, as servers and feeds write them.
SAME_TYPE = {
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "video/x-m4v": "video/mp4",
    # podcast:chapters names the JSON chapters format; servers send it as JSON.
    CHAPTERS_TYPE: "application/json",
}
# Web players and Podcasting 2.0 web apps fetch these cross-origin.
ORIGIN = "https://player.example"
TIMEOUT = 20


@dataclass(frozen=True)
class PublishedFile:
    """One published file to fetch, and what a podcast app expects of it."""

    url: str
    what: str
    length: int | None = None
    content_type: str | None = None
    needs_cors: bool = False


def _base_type(value: str | None) -> str:
    base = (value or "").split(";")[0].strip().lower()
    return SAME_TYPE.get(base, base)


def checks_in_feed(xml: bytes) -> list[PublishedFile]:
    """Every file a feed points at, once each: media, artwork, chapters, transcripts."""
    root = parse_xml(xml)
    checks = [
        PublishedFile(i.get("href", ""), "artwork") for i in root.findall(f"channel/{ITUNES}image")
    ]
    for item in root.iter("item"):
        checks += _item_checks(item, item.findtext("title") or item.findtext("guid") or "an item")
    unique: dict[str, PublishedFile] = {}
    for check in checks:
        unique.setdefault(check.url, check)
    return list(unique.values())


def _item_checks(item: etree._Element, title: str) -> list[PublishedFile]:
    checks = []
    for enclosure in item.iter("enclosure"):
        length = enclosure.get("length", "")
        size = int(length) if length.isdigit() else None
        url, kind = enclosure.get("url", ""), enclosure.get("type")
        checks.append(PublishedFile(url, f"enclosure of '{title}'", size, kind, needs_cors=True))
    for alternate in item.iter(f"{PODCAST}alternateEnclosure"):
        length = alternate.get("length", "")
        size = int(length) if length.isdigit() else None
        for source in alternate.iter(f"{PODCAST}source"):
            what = f"alternate enclosure of '{title}'"
            checks.append(
                PublishedFile(source.get("uri", ""), what, size, alternate.get("type"), True)
            )
    for tag, attribute in ((f"{ITUNES}image", "href"), (f"{PODCAST}image", "href"),
                           (f"{MEDIA}thumbnail", "url")):  # fmt: skip
        for image in item.iter(tag):
            checks.append(PublishedFile(image.get(attribute, ""), f"artwork of '{title}'"))
    for tag, what in ((f"{PODCAST}chapters", "chapters"), (f"{PODCAST}transcript", "transcript")):
        for element in item.iter(tag):
            url, kind = element.get("url", ""), element.get("type")
            checks.append(PublishedFile(url, f"{what} of '{title}'", None, kind, needs_cors=True))
    return checks


def _check_file(session: requests.Session, check: PublishedFile) -> list[str]:
    headers = {"Range": "bytes=0-1", "Origin": ORIGIN}
    try:
        with session.get(check.url, headers=headers, timeout=TIMEOUT, stream=True) as response:
            status, got = response.status_code, response.headers
            if status == 206:
                # Read the two bytes asked for; a server that ignores Range is cut off.
                response.raw.read(2)
    except requests.RequestException as e:
        return [f"{check.url}: {check.what}: cannot fetch ({type(e).__name__})"]
    if status in (404, 403, 410):
        return [f"{check.url}: {check.what}: missing (HTTP {status})"]
    problems = []
    if status != 206:
        problems.append(f"{check.url}: {check.what}: Range request answered {status}, not 206")
    total = got.get("Content-Range", "").rpartition("/")[2]
    if check.length is not None and status == 206 and total != str(check.length):
        problems.append(
            f"{check.url}: {check.what}: feed says {check.length} bytes, server has {total or '?'}"
        )
    if check.content_type and _base_type(got.get("Content-Type")) != _base_type(check.content_type):
        problems.append(
            f"{check.url}: {check.what}: served as {got.get('Content-Type')!r}, "
            f"feed says {check.content_type!r}"
        )
    if check.needs_cors and got.get("Access-Control-Allow-Origin") not in ("*", ORIGIN):
        problems.append(f"{check.url}: {check.what}: no CORS header, web players cannot load it")
    return problems


def verify_feed(session: requests.Session, url: str) -> tuple[list[str], int]:
    """Check one feed and every file it points at; return the problems and the files checked."""
    try:
        response = session.get(url, timeout=TIMEOUT)
    except requests.RequestException as e:
        return [f"{url}: cannot fetch the feed ({type(e).__name__})"], 0
    if response.status_code != 200:
        return [f"{url}: feed answered HTTP {response.status_code}, not 200"], 0
    problems = []
    if _base_type(response.headers.get("Content-Type")) not in FEED_TYPES:
        problems.append(f"{url}: feed served as {response.headers.get('Content-Type')!r}")
    try:
        podcastparser.parse(url, io.BytesIO(response.content))
        checks = checks_in_feed(response.content)
    except (podcastparser.FeedParseError, etree.XMLSyntaxError) as e:
        return [*problems, f"{url}: podcast apps cannot parse the feed: {e}"], 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for found in pool.map(lambda c: _check_file(session, c), checks):
            problems += found
    return problems, len(checks)


def verify_show(feed_urls: Iterable[str]) -> tuple[list[str], int]:
    """Check every feed; return all problems and how many files were checked."""
    problems: list[str] = []
    checked = 0
    with requests.Session() as session:
        session.headers["User-Agent"] = "showpipe-verify (like a podcast app)"
        for url in feed_urls:
            found, count = verify_feed(session, url)
            problems += found
            checked += count
    return problems, checked
