"""The field types of the show's YAML and the vocabularies some fields are checked against.

Each type (`Url`, `Email`, `LocalFile`, `Seconds`, `Text`, `Title`) validates one value and
says what is wrong with it in a podcaster's words; the vocabularies are the published lists
(Apple's categories, the podcast:person taxonomy, licence slugs) shipped in showpipe/data.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import pydantic
from pydantic import AfterValidator, Field, ValidationInfo

from showpipe.times import parse_clock

# --- field types -------------------------------------------------------------------------


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{value}' is not an http(s) URL")
    return value


def _check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _resolve_path(value: Any, info: ValidationInfo) -> Path:
    """Resolve a path written relative to the YAML file that names it."""
    base: Path = (info.context or {})["base"]
    if not isinstance(value, str):
        raise ValueError(f"'{value}' is not a file path")
    if not value.strip():
        raise ValueError("is empty; give a file path relative to this YAML file")
    # abspath, not resolve(): the same absolute path without a system call per file named.
    path = Path(os.path.abspath(base / value))
    # The project is the YAML folder's parent (feeds/ and episodes/ live in it). A path out
    # of it (`../../etc/passwd`, `/home/…`) would publish a file nobody meant to publish.
    if not path.is_relative_to(base.parent):
        raise ValueError(f"'{value}' is outside the project folder; keep files inside it")
    return path


def _parse_timestamp(value: Any) -> float:
    """Seconds from a number or from `[[HH:]MM:]SS[.mmm]`."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a time")
    seconds = float(value) if isinstance(value, int | float) else parse_clock(str(value))
    if seconds < 0:
        raise ValueError(f"'{value}' is negative")
    return seconds


Url = Annotated[str, AfterValidator(_check_url)]
Email = Annotated[str, AfterValidator(_check_email)]
LocalFile = Annotated[Path, pydantic.BeforeValidator(_resolve_path)]
Seconds = Annotated[float, pydantic.BeforeValidator(_parse_timestamp)]
# C0 and C1 control characters other than tab and newlines: XML 1.0 forbids most of them, and
# a terminal escape in a title would reach every listener's app.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _check_plain(value: str) -> str:
    found = CONTROL.search(value)
    if found:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start() + 1}; remove it"
        )
    return value


Text = Annotated[str, Field(min_length=1), AfterValidator(_check_plain)]
Title = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_check_plain)]


# --- vocabularies --------------------------------------------------------------------------


@cache
def apple_categories() -> dict[str, list[str]]:
    text = resources.files("showpipe").joinpath("data/apple-categories.json").read_text()
    categories: dict[str, list[str]] = json.loads(text)
    return categories


@cache
def person_roles() -> dict[str, str]:
    """podcast:person roles (lower case) and the group each belongs to (lower case)."""
    text = resources.files("showpipe").joinpath("data/podcast-person-taxonomy.json").read_text()
    return {e["role"].lower(): e["group"].lower() for e in json.loads(text)}


@cache
def license_slugs() -> frozenset[str]:
    text = resources.files("showpipe").joinpath("data/license-slugs.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def did_you_mean(word: str, choices: Any) -> str:
    """A hint naming the choice closest to a misspelt `word` ("; did you mean 'x'?"), or ""."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""
