"""The Podcasting 2.0 XSD (CC0), and what it says of one `podcast:*` element."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from lxml import etree


@cache
def podcast_xsd() -> bytes:
    """The Podcasting 2.0 XSD's text."""
    return resources.files("showpipe").joinpath("data/podcast.xsd").read_bytes()


@cache
def _xsd() -> Any:
    return etree.fromstring(podcast_xsd())


@cache
def podcast_schema() -> etree.XMLSchema:
    """The Podcasting 2.0 XSD (CC0). It declares its elements in no namespace."""
    return etree.XMLSchema(_xsd())


def schema_problems(element: Any, checked: dict[bytes, list[str]] | None = None) -> list[str]:
    """Problems of one podcast:* element against the XSD; [] for tags it does not declare.

    `checked` holds the verdicts on elements seen before, by their XML: the hosts' and the
    seasons' elements repeat in every item of a feed.
    """
    local = etree.QName(element).localname
    if local not in _declared():
        return []
    xml = etree.tostring(element, with_tail=False)
    if checked is None:
        return _schema_problems(xml)
    if xml not in checked:
        checked[xml] = _schema_problems(xml)
    return checked[xml]


def _schema_problems(xml: bytes) -> list[str]:
    schema = podcast_schema()
    copy = etree.fromstring(xml)
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(copy)
    if schema.validate(copy):
        return []
    return [e.message for e in schema.error_log]


@cache
def _declared() -> frozenset[str]:
    xs = "{http://www.w3.org/2001/XMLSchema}element"
    return frozenset(e.get("name") for e in _xsd().findall(xs))
