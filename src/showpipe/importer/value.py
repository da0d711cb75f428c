"""podcast:value (value-for-value) blocks of a channel or an item."""

from __future__ import annotations

from typing import Any

from lxml import etree

from showpipe.importer.report import ImportReport, tag_name
from showpipe.importer.source import P, flag


def _recipient(element: etree._Element, report: ImportReport) -> dict[str, Any] | None:
    split, address = (element.get("split") or "").strip(), (element.get("address") or "").strip()
    if not split.isdigit() or not address:
        report.warn(
            f"podcast:valueRecipient '{element.get('name', '?')}': "
            "no address or no whole split; left out"
        )
        return None
    data: dict[str, Any] = {
        "name": (element.get("name") or "").strip()[:128] or None,
        "type": (element.get("type") or "node").strip(),
        "address": address,
        "split": int(split),
        "fee": bool(flag(element.get("fee"))),
        "custom_key": element.get("customKey") or None,
        "custom_value": element.get("customValue") or None,
    }
    return {k: v for k, v in data.items() if v not in (None, False)}


def value_of(element: etree._Element, report: ImportReport) -> dict[str, Any] | None:
    """The first podcast:value of `element` as YAML data; further blocks are reported."""
    blocks = element.findall(f"{P}value")
    if not blocks:
        return None
    block = blocks[0]
    for extra in blocks[1:]:
        report.unsupported[f"podcast:value of type {extra.get('type')} (a second block)"] += 1
    for child in block:
        if isinstance(child.tag, str) and tag_name(child) != "podcast:valueRecipient":
            report.unsupported[f"{tag_name(child)} (in podcast:value)"] += 1
    recipients = [r for e in block.findall(f"{P}valueRecipient") if (r := _recipient(e, report))]
    if not recipients:
        return None
    data: dict[str, Any] = {
        "type": block.get("type") or "lightning",
        "method": block.get("method") or "keysend",
        "suggested": block.get("suggested") or None,
        "recipients": recipients,
    }
    return {k: v for k, v in data.items() if v is not None}
