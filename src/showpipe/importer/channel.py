"""The old feed's channel as `feeds/<name>.yaml`."""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from showpipe.feeds import podcast_guid
from showpipe.importer.report import ImportReport
from showpipe.importer.source import IT, P, Source, flag, text_of
from showpipe.importer.text import richest, split_person, to_plain
from showpipe.importer.value import value_of
from showpipe.model.fields import apple_categories, license_slugs

_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


@cache
def old_categories() -> dict[str, list[str | None]]:
    """Apple's pre-2019 categories and what each became (data/apple-categories-2019.json)."""
    path = resources.files("showpipe").joinpath("data/apple-categories-2019.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _category(name: str, sub: str | None, report: ImportReport) -> dict[str, str] | None:
    known, old = apple_categories(), old_categories()
    if name in known:
        entry = {"category": name}
        if sub and sub in known[name]:
            entry["subcategory"] = sub
        elif sub and f"{name} > {sub}" in old:
            new, new_sub = old[f"{name} > {sub}"]
            entry = {"category": str(new)} | ({"subcategory": new_sub} if new_sub else {})
        elif sub:
            report.warn(f"subcategory '{name} > {sub}' is not on Apple's list; left out")
        return entry
    mapped = old.get(f"{name} > {sub}") if sub else None
    mapped = mapped or old.get(name)
    if mapped is None:
        report.warn(f"category '{name}' is not on Apple's list; left out")
        return None
    new, new_sub = mapped
    return {"category": str(new)} | ({"subcategory": new_sub} if new_sub else {})


def categories(channel: etree._Element, report: ImportReport) -> list[dict[str, str]]:
    """The channel's Apple categories, old names mapped to the current ones, no repeats."""
    found: list[dict[str, str]] = []
    for element in channel.findall(f"{IT}category"):
        name = (element.get("text") or "").strip()
        if not name:
            continue
        subs = [s.get("text", "").strip() for s in element.findall(f"{IT}category")] or [None]
        for sub in subs:
            entry = _category(name, sub or None, report)
            if entry and entry not in found:
                found.append(entry)
    return found


def _owner(channel: etree._Element, author: str) -> dict[str, str]:
    owner = channel.find(f"{IT}owner")
    name, email = text_of(owner, f"{IT}name"), text_of(owner, f"{IT}email")
    for fallback in ("managingEditor", "webMaster"):
        who = split_person(text_of(channel, fallback))
        email, name = email or who.email, name or who.name
    locked = channel.find(f"{P}locked")
    email = email or (locked.get("owner", "") if locked is not None else "")
    return {k: v for k, v in (("name", name or author), ("email", email)) if v}


def _author(channel: etree._Element) -> str:
    """The show's author as a name, never an address."""
    for source in (f"{IT}author", "managingEditor", f"{IT}owner/{IT}name", "title"):
        who = split_person(text_of(channel, source))
        if who.name:
            return who.name
    return text_of(channel, "title")


def _identity(source: Source, report: ImportReport) -> str | None:
    """podcast:guid: kept from the feed, else the spec's UUIDv5 of the feed's own URL."""
    kept = text_of(source.channel, f"{P}guid")
    if kept and not _is_uuid(kept):
        report.warn(f"podcast:guid '{kept}' is not a UUID; a new one is derived from the feed URL")
        kept = ""
    if kept:
        report.podcast_guid, report.podcast_guid_from = kept, "kept from the feed"
        return kept
    if source.url:
        derived = podcast_guid(source.url)
        report.podcast_guid, report.podcast_guid_from = derived, f"derived from {source.url}"
        return derived
    report.podcast_guid_from = (
        "none: the feed has no podcast:guid and no URL of its own; "
        "import it from its URL, or give --feed-url"
    )
    return None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _language(channel: etree._Element, report: ImportReport) -> str:
    language = text_of(channel, "language").lower()
    if _LANGUAGE.match(language):
        return language
    report.warn(f"language '{language}' is not a language code; 'en' written instead")
    return "en"


def feed_yaml(
    source: Source, medium: str, hosts: list[dict[str, Any]], report: ImportReport
) -> dict[str, Any]:
    """The channel as feed YAML data (keys without a value are left out).

    `hosts` are the channel's podcast:person tags; without any, the author is the host.
    """
    channel = source.channel
    author = _author(channel)
    hosts = hosts or [{"name": author}]
    new_url = source.absolute(text_of(channel, f"{IT}new-feed-url"))
    data: dict[str, Any] = {
        "title": text_of(channel, "title"),
        "description": to_plain(richest(channel)) or text_of(channel, "title"),
        "link": source.absolute(text_of(channel, "link")),
        "language": _language(channel, report),
        "copyright": text_of(channel, "copyright") or None,
        "author": author,
        "owner": _owner(channel, author),
        "hosts": hosts,
        "categories": categories(channel, report),
        "explicit": bool(flag(text_of(channel, f"{IT}explicit"))),
        "type": "serial" if text_of(channel, f"{IT}type").lower() == "serial" else "episodic",
        "medium": medium,
        # Kept as it was: apps and the Podcast Index know the show by it after the move.
        "podcast_guid": _identity(source, report),
        "locked": bool(flag(text_of(channel, f"{P}locked"))),
        "new_feed_url": new_url,
        "block": bool(flag(text_of(channel, f"{IT}block"))),
        "complete": bool(flag(text_of(channel, f"{IT}complete"))),
        "funding": _funding(channel, source),
        "license": _license(channel, source, report),
        "podroll": _podroll(channel),
        "update_frequency": _frequency(channel),
        "value": value_of(channel, report),
    }
    return {k: v for k, v in data.items() if v not in (None, "", [], False)}


def _funding(channel: etree._Element, source: Source) -> list[dict[str, str]]:
    found = []
    for element in channel.findall(f"{P}funding"):
        url = source.absolute(element.get("url"))
        if url:
            text = " ".join((element.text or "").split())[:128] or "Support the show"
            found.append({"url": url, "text": text})
    return found


def _license(
    channel: etree._Element, source: Source, report: ImportReport
) -> dict[str, str] | None:
    element = channel.find(f"{P}license")
    if element is None or not (element.text or "").strip():
        return None
    slug, url = element.text.strip(), source.absolute(element.get("url"))
    if url is None and slug not in license_slugs():
        report.warn(f"podcast:license '{slug}' is not a known slug and has no url; left out")
        return None
    return {"slug": slug} | ({"url": url} if url else {})


def _podroll(channel: etree._Element) -> list[dict[str, str]]:
    found = []
    for item in channel.findall(f"{P}podroll/{P}remoteItem"):
        guid = item.get("feedGuid")
        if guid:
            found.append(
                {"feed_guid": guid} | ({"feed_url": url} if (url := item.get("feedUrl")) else {})
            )
    return found


def _frequency(channel: etree._Element) -> dict[str, Any] | None:
    element = channel.find(f"{P}updateFrequency")
    if element is None or not (element.text or "").strip():
        return None
    data: dict[str, Any] = {"text": element.text.strip()[:128]}
    if element.get("rrule"):
        data["rrule"] = element.get("rrule")
    if flag(element.get("complete")):
        data["complete"] = True
    return data
