"""Real public feeds (tests/data/feeds, see SOURCES.md) imported, rebuilt and compared.

Each feed is served by a fake old host on 127.0.0.1; `showpipe import` reads it, whatever
the import says is missing is filled in as a user would, `showpipe feeds` rebuilds it, and
every item of the rebuilt feed is compared with the source item it came from.
"""

from __future__ import annotations

import io
import mimetypes
import re
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import podcastparser
import pytest
from click.testing import CliRunner, Result
from dateutil import parser as dateparser
from lxml import etree
from requests.utils import requote_uri
from ruamel.yaml import YAML

from oldhost import OldHost, size_of
from showpipe.cli import cli
from showpipe.importer.items import SRT_ALIASES

FEEDS = Path(__file__).parent / "data" / "feeds"
CORPUS = sorted(p.name for p in FEEDS.glob("*.xml"))
IT = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
P = "{https://podcastindex.org/namespace/1.0}"
PSC = "{http://podlove.org/simple-chapters}"
ORIGINAL_P = b"https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
MEDIA_TYPE = re.compile(r"^(audio|video)/[\w.+-]+$")

SRT = "application/x-subrip"


def showpipe(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


# --- reading a feed the test's own way ---------------------------------------------------


def channel_of(xml: bytes) -> Any:
    xml = xml.replace(ORIGINAL_P, P[1:-1].encode()).lstrip()
    xml = re.sub(
        rb"http://www\.itunes\.com/dtds/podcast-1\.0\.dtd", IT[1:-1].encode(), xml, flags=re.I
    )
    root = etree.fromstring(xml, etree.XMLParser(recover=True, resolve_entities=False))
    return root.find("channel")


def flag(text: str | None) -> bool | None:
    word = (text or "").strip().lower()
    return (
        True
        if word in ("yes", "true", "explicit")
        else False
        if word in ("no", "false", "clean")
        else None
    )


def number(item: Any, *tags: str) -> int | None:
    for tag in tags:
        text = (item.findtext(tag) or "").strip()
        if text.isdigit() and int(text) > 0:
            return int(text)
    return None


def seconds(text: str | None) -> int | None:
    total = 0.0
    try:
        for part in (text or "").strip().split(":"):
            total = total * 60 + float(part)
    except ValueError:
        return None
    return round(total) or None


def date(text: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        parsed = dateparser.parse(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def persons(element: Any) -> set[str]:
    return {
        " ".join((p.text or "").split())
        for p in element.findall(f"{P}person")
        if (p.text or "").strip()
    }


ADDRESS = r"[^\s@()<>]+@[^\s@()<>]+"


def name_in(text: str | None) -> str:
    """The name in `Name (address)`, `Name <address>` or `address (Name)`; "" for an
    address alone."""
    text = " ".join((text or "").split())
    for pattern in (rf"(?P<name>.+?) ?[(<]{ADDRESS}[)>]", rf"{ADDRESS} ?\((?P<name>.+)\)"):
        found = re.fullmatch(pattern, text)
        if found:
            return found["name"]
    return "" if re.fullmatch(ADDRESS, text) else text


def author_of(channel: Any) -> str:
    """Who hosts a show naming no podcast:person: its author as a name, from the first of
    itunes:author, managingEditor, the owner's name and the title that holds one."""
    tags = (f"{IT}author", "managingEditor", f"{IT}owner/{IT}name", "title")
    return next(name for name in (name_in(channel.findtext(tag)) for tag in tags) if name)


def item_values(item: Any, channel: Any, *, source: bool) -> dict[str, Any]:
    """What subscribers' apps take from an item, the channel's values inherited."""
    enclosure = item.find("enclosure")
    url, kind = enclosure.get("url"), (enclosure.get("type") or "").strip().lower()
    length = int(enclosure.get("length") or 0)
    if source:
        kind = kind if MEDIA_TYPE.match(kind) else mimetypes.guess_type(url.split("?")[0])[0]
        length = length if length >= 2 else size_of(unquote(urlsplit(url).path))
    explicit = flag(item.findtext(f"{IT}explicit"))
    chapters = item.find(f"{P}chapters")
    return {
        "enclosure": (url, length, kind),
        "date": date(item.findtext("pubDate")),
        "duration": seconds(item.findtext(f"{IT}duration")),
        "season": number(item, f"{IT}season", f"{P}season"),
        "episode": number(item, f"{IT}episode", f"{P}episode"),
        "explicit": bool(flag(channel.findtext(f"{IT}explicit"))) if explicit is None else explicit,
        "block": bool(flag(item.findtext(f"{IT}block"))),
        # an item naming nobody has the show's hosts; a show naming nobody, its author
        "persons": persons(item) or persons(channel) or ({author_of(channel)} if source else set()),
        # a URL with spaces is published percent-encoded: the same URL to an app
        "chapters_url": requote_uri(chapters.get("url")) if chapters is not None else None,
        "chapters": [c.get("title") for c in item.findall(f"{PSC}chapters/{PSC}chapter")],
        # SRT under its other names arrives as the namespace's own type
        "transcripts": {
            (
                t.get("url"),
                "application/x-subrip" if t.get("type") in SRT_ALIASES else t.get("type"),
            )
            for t in item.findall(f"{P}transcript")
            if re.match(r"^[\w.+-]+/[\w.+-]+$", t.get("type") or "")
        },
    }


def source_items(channel: Any) -> dict[str, dict[str, Any]]:
    """The items an import must keep: those with an audio or video enclosure, first of
    each GUID, keyed by GUID (an item without one by its enclosure URL)."""
    found: dict[str, dict[str, Any]] = {}
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        if enclosure is None or not enclosure.get("url"):
            continue
        guid = (item.findtext("guid") or "").strip() or enclosure.get("url")
        found.setdefault(guid, item_values(item, channel, source=True))
    return found


def expected_podcast_guid(channel: Any, fetched_from: str) -> str:
    kept = (channel.findtext(f"{P}guid") or "").strip()
    try:
        return str(uuid.UUID(kept))
    except ValueError:
        pass
    self_link = next(
        (
            link.get("href")
            for link in channel.findall("{http://www.w3.org/2005/Atom}link")
            if link.get("rel") == "self"
        ),
        None,
    )
    url = self_link if self_link and self_link.startswith("http") else fetched_from
    return str(uuid.uuid5(GUID_NAMESPACE, url.split("://", 1)[-1].rstrip("/")))


# --- filling in what the import listed ----------------------------------------------------

FILL = {
    "link": "https://new-home.example/",
    "owner.email": "owner@new-home.example",
    "categories": [{"category": "Technology"}],
}


def fill_in(project: Path, problems: list[str]) -> list[str]:
    """Set each missing feed value the import listed, as its owner would; return the
    other problems (the old feed's own lint errors, which `check` must report too)."""
    yaml = YAML()
    path = project / "feeds" / "show.yaml"
    data = yaml.load(path.read_text())
    others = []
    for problem in problems:
        found = re.match(r"^(.+\.yaml):(\d+): (?:([\w.\[\]]+): )?", problem)
        assert found, f"not a file:line: message line: {problem}"
        assert (project / Path(found.group(1)).relative_to(project)).is_file(), problem
        field = found.group(3)
        if field not in FILL:
            others.append(problem)
        elif field == "owner.email":
            data["owner"]["email"] = FILL[field]
        else:
            data[field] = FILL[field]
    with path.open("w") as f:
        yaml.dump(data, f)
    return others


def to_fill(output: str) -> list[str]:
    lines = output.splitlines()
    if "To fill in before publishing:" not in lines:
        return []
    start = lines.index("To fill in before publishing:") + 1
    return [line.strip() for line in lines[start:] if line.startswith("  ")]


# --- the test -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_a_real_feed_moves_here_item_by_item(tmp_path: Path, host: OldHost, name: str) -> None:
    url = host.serve(name, (FEEDS / name).read_bytes())
    project = tmp_path / "new"
    imported = showpipe(project, "import", url)
    assert imported.exit_code == 0, imported.output
    lint = fill_in(project, to_fill(imported.output))
    checked = showpipe(project, "check")
    assert checked.exit_code == (1 if lint else 0), checked.output
    for problem in lint:  # what the import listed is what check finds
        assert problem.split(": ", 1)[1] in checked.output, problem
    rebuilt = showpipe(project, "feeds")
    assert rebuilt.exit_code == 0, rebuilt.output

    source = channel_of(host.feeds[name])
    xml = (project / "public" / "feeds" / "show.xml").read_bytes()
    new = channel_of(xml)
    before = source_items(source)
    after = {i.findtext("guid"): item_values(i, new, source=False) for i in new.findall("item")}
    assert list(after) and sorted(after) == sorted(before)
    for guid, old in before.items():
        assert after[guid] == old, guid
    assert new.findtext(f"{P}guid") == expected_podcast_guid(source, url)
    # and a podcast app reads the same list of episodes
    app = podcastparser.parse("http://localhost:8000/feeds/show.xml", io.BytesIO(xml))
    assert sorted(e["guid"] for e in app["episodes"]) == sorted(before)
