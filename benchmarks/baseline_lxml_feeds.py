"""Baseline for bench_feeds.py: the same feeds' elements, built with plain lxml and nothing else.

Reads what `showpipe feeds` reads (the YAML files with libyaml, the manifest as JSON), renders
the same Markdown the same way, builds the same elements and serialises them to
`baseline/<feed>.xml`. It validates nothing, checks nothing and reads nothing back: it is
the floor that showpipe's validation, feedgen and its safety checks are measured against.

Usage: python baseline_lxml_feeds.py NOW   (run in the project's folder)
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import nh3
import yaml
from lxml import etree
from markdown_it import MarkdownIt

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "media": "http://search.yahoo.com/mrss/",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
TAGS = {"p", "ol", "ul", "li", "a", "strong", "em", "b", "i", "br", "code", "blockquote"}


def q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def sub(parent: Any, tag: str, text: Any = None, **attributes: Any) -> Any:
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attributes.items() if v})
    if text is not None:
        element.text = str(text)
    return element


def seconds(text: Any) -> float:
    parts = [float(p) for p in str(text).split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def channel(
    feed: dict[str, Any], name: str, base: str, manifest: dict[str, Any], newest: Any
) -> Any:
    rss = etree.Element("rss", nsmap=NS, version="2.0")
    ch = sub(rss, "channel")
    url = f"{base}feeds/{name}.xml"
    sub(ch, "title", feed["title"])
    sub(ch, "link", feed["link"])
    sub(ch, "description", feed["description"])
    sub(ch, q("atom", "link"), href=url, rel="self")
    sub(ch, "copyright", feed.get("copyright"))
    sub(ch, "docs", "http://www.rssboard.org/rss-specification")
    sub(ch, "generator", "showpipe")
    sub(ch, "language", feed["language"])
    sub(ch, "lastBuildDate", format_datetime(newest))
    sub(ch, q("itunes", "author"), feed["author"])
    for c in feed["categories"]:
        cat = sub(ch, q("itunes", "category"), text=c["category"])
        if c.get("subcategory"):
            sub(cat, q("itunes", "category"), text=c["subcategory"])
    sub(ch, q("itunes", "image"), href=base + manifest["feeds"][name]["artwork"]["key"])
    owner = sub(ch, q("itunes", "owner"))
    sub(owner, q("itunes", "name"), feed["owner"]["name"])
    sub(owner, q("itunes", "email"), feed["owner"]["email"])
    sub(ch, q("itunes", "type"), feed.get("type", "episodic"))
    sub(ch, q("itunes", "explicit"), "true" if feed.get("explicit") else "false")
    guid = uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), url.split("://")[1])
    sub(ch, q("podcast", "guid"), guid)
    sub(ch, q("podcast", "medium"), "video" if feed.get("medium") == "video" else "podcast")
    locked = "yes" if feed.get("locked") else "no"
    sub(ch, q("podcast", "locked"), locked, owner=feed["owner"]["email"])
    for host in feed["hosts"]:
        sub(ch, q("podcast", "person"), host["name"], role="host", href=host.get("link"))
    for funding in feed.get("funding", []):
        sub(ch, q("podcast", "funding"), funding["text"], url=funding["url"])
    if feed.get("license"):
        sub(ch, q("podcast", "license"), feed["license"]["slug"])
    if feed.get("update_frequency"):
        f = feed["update_frequency"]
        sub(ch, q("podcast", "updateFrequency"), f["text"], rrule=f.get("rrule"))
    return rss, ch


def item(
    ch: Any, feed: dict[str, Any], ep: dict[str, Any], record: dict[str, Any], base: str
) -> None:
    medium = feed.get("medium", "audio")
    media = record["media"][medium]
    it = sub(ch, "item")
    sub(it, "title", ep["title"])
    sub(it, "description", ep["summary"])
    html = nh3.clean(MARKDOWN.render(ep["description"]), tags=TAGS, attributes={"a": {"href"}})
    sub(it, q("content", "encoded")).text = etree.CDATA(html.strip())
    sub(it, "guid", ep["guid"], isPermaLink="false")
    sub(it, "enclosure", url=base + media["key"], length=media["size"], type=media["content_type"])
    sub(it, "pubDate", format_datetime(ep["published"]))
    sub(it, q("itunes", "duration"), round(media["duration"]))
    sub(it, q("itunes", "season"), ep["season"])
    sub(it, q("itunes", "episode"), ep["episode"])
    sub(it, q("itunes", "title"), ep["title"])
    sub(it, q("itunes", "episodeType"), ep.get("type", "full"))
    sub(it, q("itunes", "explicit"), "true" if ep.get("explicit") else "false")
    podcast_tags(it, feed, ep, record, base)
    if medium == "video":
        video_tags(it, media, base)
    if ep.get("chapters"):
        chapters = sub(it, q("psc", "chapters"), version="1.2")
        for c in ep["chapters"]:
            sub(chapters, q("psc", "chapter"), start=seconds(c["start"]), title=c["title"])


def podcast_tags(
    it: Any, feed: dict[str, Any], ep: dict[str, Any], record: dict[str, Any], base: str
) -> None:
    name = feed.get("seasons", {}).get(ep["season"], f"Season {ep['season']}")
    sub(it, q("podcast", "season"), ep["season"], name=name)
    sub(it, q("podcast", "episode"), ep["episode"])
    for person in feed["hosts"] + ep.get("guests", []):
        role = person.get("role", "host")
        sub(it, q("podcast", "person"), person["name"], role=role, href=person.get("link"))
    if record.get("chapters"):
        url = base + record["chapters"]["key"]
        sub(it, q("podcast", "chapters"), url=url, type="application/json+chapters")
    for t in record["transcripts"]:
        sub(
            it,
            q("podcast", "transcript"),
            url=base + t["key"],
            type=t["content_type"],
            language=feed["language"],
            rel="captions",
        )
    for other, stored in sorted(record["media"].items()):
        if other != feed.get("medium", "audio"):
            alt = sub(
                it,
                q("podcast", "alternateEnclosure"),
                type=stored["content_type"],
                length=stored["size"],
                title=other,
            )
            sub(alt, q("podcast", "source"), uri=base + stored["key"])
            sub(alt, q("podcast", "integrity"), type="sri", value=stored["sri"])


def video_tags(it: Any, media: dict[str, Any], base: str) -> None:
    sub(
        it,
        q("media", "content"),
        url=base + media["key"],
        fileSize=media["size"],
        type=media["content_type"],
        medium="video",
        duration=round(media["duration"]),
        width=media["width"],
        height=media["height"],
    )
    sub(it, q("media", "thumbnail"), url=base + "art/thumbnail.jpg")


def main() -> None:
    now = datetime.fromisoformat(sys.argv[1]).astimezone()
    root = Path.cwd()
    config = yaml.load((root / "showpipe.toml").read_text().replace(" = ", ": "), yaml.CSafeLoader)
    base = config["public_url"]
    manifest = json.loads((root / "public" / "showpipe" / "manifest.json").read_bytes())
    episodes = [
        yaml.load(path.read_bytes(), yaml.CSafeLoader)
        for path in sorted((root / "episodes").glob("*.yaml"))
    ]
    due = [e for e in episodes if e["published"] <= now and e["guid"] in manifest["episodes"]]
    due.sort(key=lambda e: (e["published"], e["guid"]), reverse=True)
    (root / "baseline").mkdir(exist_ok=True)
    for path in sorted((root / "feeds").glob("*.yaml")):
        feed = yaml.load(path.read_bytes(), yaml.CSafeLoader)
        medium = feed.get("medium", "audio")
        mine = [e for e in due if medium in manifest["episodes"][e["guid"]]["media"]]
        rss, ch = channel(feed, path.stem, base, manifest, mine[0]["published"])
        for ep in mine:
            item(ch, feed, ep, manifest["episodes"][ep["guid"]], base)
        xml = etree.tostring(rss, pretty_print=True, encoding="UTF-8", xml_declaration=True)
        (root / "baseline" / f"{path.stem}.xml").write_bytes(xml)


if __name__ == "__main__":
    main()
