"""podcast:person tags as the show's hosts and an episode's hosts and guests."""

from __future__ import annotations

from typing import Any

from lxml import etree

from showpipe.importer.report import ImportReport
from showpipe.importer.source import P, Source
from showpipe.model.fields import person_roles


def persons(
    element: etree._Element, source: Source, report: ImportReport, *, level: str
) -> list[dict[str, Any]]:
    """Every podcast:person of a channel or item, with its role, group, image and link.

    A role or group outside the podcast:person taxonomy is reported, and the person kept
    with the default (host on the channel, guest on an item).
    """
    roles = person_roles()
    found = []
    for person in element.findall(f"{P}person"):
        name = " ".join((person.text or "").split())[:128]
        if not name:
            continue
        role = (person.get("role") or "host").strip().lower()
        group = (person.get("group") or "").strip().lower() or None
        if role not in roles:
            fallback = "host" if level == "channel" else "guest"
            report.warn(
                f"podcast:person '{name}': role '{role}' is not in the taxonomy; {fallback} written"
            )
            role = fallback
        if group is not None and (group not in set(roles.values()) or group == "cast"):
            group = None  # "cast" is the default; an unknown group cannot be published
        entry: dict[str, Any] = {"name": name, "role": role}
        if group:
            entry["group"] = group
        for key, attribute in (("link", "href"), ("image", "img")):
            url = source.absolute(person.get(attribute))
            if url:
                entry[key] = url
        found.append(entry)
    return found
