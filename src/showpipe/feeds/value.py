"""podcast:value (value-for-value): the show's and an episode's payment recipients.

https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/tags/value.md
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


def _add(parent: Any, tag: str, /, **attributes: str | None) -> Any:
    values = {k: v for k, v in attributes.items() if v is not None}
    return etree.SubElement(parent, f"{{{PODCAST_NS}}}{tag}", values)


@dataclass(frozen=True)
class ValueRecipientTag:
    name: str | None
    type: str
    address: str
    split: int
    fee: bool = False
    custom_key: str | None = None
    custom_value: str | None = None


@dataclass(frozen=True)
class ValueTag:
    """podcast:value and its recipients (podcast-namespace docs/tags/value.md)."""

    type: str
    method: str
    suggested: str | None
    recipients: Sequence[ValueRecipientTag]


def write_value(parent: Any, value: ValueTag | None) -> None:
    """Append podcast:value with its recipients to a channel or an item, if there is one."""
    if value is None:
        return
    block = _add(parent, "value", type=value.type, method=value.method, suggested=value.suggested)
    for r in value.recipients:
        _add(
            block,
            "valueRecipient",
            name=r.name,
            type=r.type,
            address=r.address,
            split=str(r.split),
            fee="true" if r.fee else None,
            customKey=r.custom_key,
            customValue=r.custom_value,
        )
