"""What the lint finds (`feeds.lint` lints; `feeds.lintmemo` keeps it between runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple


@dataclass(frozen=True)
class Finding:
    """One lint result; errors make `showpipe check` fail."""

    severity: Literal["error", "warning"]
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


class ItemLint(NamedTuple):
    """What linting one item found: its own problems by kind, and what the checks across
    items need (its GUID, enclosure URL and date as a POSIX timestamp).

    A named tuple, not a frozen dataclass: a run makes one per item of a changed feed, from
    the memo, and a tuple is made several times faster.
    """

    label: str  # what findings call the item (`item '<label>'`): its title, or its GUID
    guid: str | None
    enclosure_url: str | None
    date: float | None
    insecure: int = 0
    enclosure: tuple[Finding, ...] = ()
    fields: tuple[Finding, ...] = ()
    urls: tuple[Finding, ...] = ()
    tags: tuple[Finding, ...] = ()

    def where(self, feed: str) -> str:
        """Where a finding about the item is, in `feed` (`feeds/<name>.xml`)."""
        return f"{feed}: item '{self.label}'"
