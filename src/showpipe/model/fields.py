"""The field types of the show's YAML and the vocabularies some fields are checked against.

Each type (`Url`, `Email`, `LocalFile`, `Seconds`, `Text`, `Title`) validates one value and
says what is wrong with it in a podcaster's words; the vocabularies are the published lists
(Apple's categories, the podcast:person taxonomy, licence slugs) shipped in showpipe/data.
"""

from __future__ import annotations

import difflib
import json
import locale
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


# Where an analytics prefix wants the stored file's whole URL; else the URL follows it.
URL_PLACEHOLDER = "{url}"


def _check_prefix(value: str) -> str:
    if URL_PLACEHOLDER not in value and not value.endswith("/"):
        raise ValueError(
            f"'{value}' must end with / (the file's URL follows it) or contain {{url}}"
        )
    return value


def _check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _resolve_path(value: Any, info: ValidationInfo) -> str:
    """Resolve a path written relative to the YAML file that names it (pydantic makes the
    absolute path a Path, from Python values and from JSON alike)."""
    base: Path = (info.context or {})["base"]
    if not isinstance(value, str):
        raise ValueError(f"'{value}' is not a file path")
    if not value.strip():
        raise ValueError("is empty; give a file path relative to this YAML file")
    check_plain(value)  # a path is text too: an escape in a file name reaches logs and keys
    # normpath, not resolve(): the same absolute path without a system call per file named
    # (and on strings: thousands of episodes name thousands of files).
    path = os.path.normpath(os.path.join(base, value))
    # The project is the YAML folder's parent (feeds/ and episodes/ live in it). A path out
    # of it (`../../etc/passwd`, `/home/…`) would publish a file nobody meant to publish.
    if not path.startswith(os.path.join(os.path.dirname(base), "")):
        raise ValueError(f"'{value}' is outside the project folder; keep files inside it")
    return path


# --- bounds (docs/limits.md) ----------------------------------------------------------------

# Season and episode numbers: an MP4 `trkn` atom holds the episode in 16 bits, and the
# season is kept in the same range (ID3 TPOS, podcast:season).
MAX_NUMBER = 65_535
# Times: ID3 CHAP frames store milliseconds in 32 bits, so 2^32 ms (49.7 days) is the end.
MAX_SECONDS = 4_294_967
# ID3's CTOC frame counts its chapters in one byte (ID3v2 Chapter Frame Addendum 1.0).
MAX_CHAPTERS = 255
# Bytes of a remote file: a signed 64-bit integer, what apps parse an enclosure length into.
MAX_LENGTH = 2**63 - 1
# Apple's show artwork, pixels a side (docs/feed-rules.md, "The channel").
SHOW_ARTWORK_MIN = 1400
SHOW_ARTWORK_MAX = 3000

Number = Annotated[int, Field(gt=0, le=MAX_NUMBER)]


def _parse_timestamp(value: Any) -> float:
    """Seconds from a number or from `[[HH:]MM:]SS[.mmm]`."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a time")
    seconds = float(value) if isinstance(value, int | float) else parse_clock(str(value))
    if seconds < 0:
        raise ValueError(f"'{value}' is negative")
    if seconds != seconds:  # NaN, from YAML's .nan
        raise ValueError(f"'{value}' is not a time")
    if seconds > MAX_SECONDS:
        raise ValueError(f"'{value}' is more than {MAX_SECONDS} seconds (49 days)")
    return seconds


Url = Annotated[str, AfterValidator(_check_url)]
AnalyticsPrefix = Annotated[str, AfterValidator(_check_url), AfterValidator(_check_prefix)]
Email = Annotated[str, AfterValidator(_check_email)]
LocalFile = Annotated[Path, pydantic.BeforeValidator(_resolve_path)]
Seconds = Annotated[float, pydantic.BeforeValidator(_parse_timestamp)]
# Refused in every string: C0 and C1 control characters other than tab and newlines (XML 1.0
# forbids most of them, and a terminal escape in a title would reach every listener's app),
# and the noncharacters U+FFFE and U+FFFF, which XML cannot carry and a YAML escape can spell
# (a feed would drop them, so a GUID would change on its way). Pydantic refuses a lone
# surrogate as no valid string.
_NOT_PLAIN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NOT_IN_XML = "\ufffe\uffff"


def check_plain(value: Any, where: str = "") -> None:
    """Refuse control characters, and what XML cannot carry, in every string within `value`
    (lists, mappings' keys and values); `where` is the place in `value` a message names,
    like `[2]`.

    Raises:
        ValueError: naming the character, where it is, and its position in the text.
    """
    if isinstance(value, str):
        found = _NOT_PLAIN.search(value)
        if found:
            code = f"U+{ord(found.group()):04X}"
            control = found.group() not in _NOT_IN_XML
            what = f"the control character {code}" if control else code
            why = "" if control else ", which XML cannot carry,"
            at = f" ({where.lstrip('.')})" if where else ""
            raise ValueError(f"contains {what}{why} at position {found.start() + 1}{at}; remove it")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_plain(key, where)
            check_plain(item, f"{where}[{key}]")


Text = Annotated[str, Field(min_length=1)]
Title = Annotated[str, Field(min_length=1, max_length=255)]

# --- transcripts ---------------------------------------------------------------------------

# The transcript types of podcast:transcript (https://podcastindex.org/namespace/1.0#transcript),
# by the extension of the file that holds one. text/html is left out on purpose: a page
# published on the show's own origin could run script there (an SVG or a .js even more so).
TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".txt": "text/plain",
}
# Transcripts another host serves may be any type the namespace lists.
REMOTE_TRANSCRIPT_TYPES = (*TRANSCRIPT_TYPES.values(), "text/html")


def _check_transcript(path: Path) -> Path:
    if path.suffix.lower() not in TRANSCRIPT_TYPES:
        raise ValueError(
            f"'{path.name}' is not a transcript type showpipe publishes "
            f"(use {', '.join(TRANSCRIPT_TYPES)}: SRT, WebVTT, JSON or plain text)"
        )
    return path


Transcript = Annotated[LocalFile, AfterValidator(_check_transcript)]

# --- feed names ------------------------------------------------------------------------------

# A feed is published as feeds/<name>.xml: its name must be usable in a URL as it is.
FEED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def _check_feed_name(name: str) -> str:
    if not FEED_NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"the file name '{name}.yaml' cannot be a URL (feeds/<name>.xml); rename it using "
            "only letters a-z, digits, '-', '_' and '.' (like videos.yaml)"
        )
    return name


FeedName = Annotated[str, AfterValidator(_check_feed_name)]


class ProblemAt(ValueError):
    """A model check's problem at a place inside the model (`("chapters", 2, "start")`), so
    the error points at that line rather than at the top of the file."""

    def __init__(self, location: tuple[str | int, ...], message: str) -> None:
        self.location = location
        super().__init__(message)


def _check_language(value: str) -> str:
    if not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*", value):
        # en_US is a locale's spelling; RSS wants the language tag, en-US.
        code = value.replace("_", "-") if "_" in value else language_code(value)
        hint = f"; write '{code}'" if code else " (write a code like en, de or pt-BR)"
        raise ValueError(f"'{value}' is not a language code{hint}")
    return value


def language_code(name: str) -> str | None:
    """The ISO 639 code for a language's English name ("English" -> "en"), if known."""
    # The C library's locale aliases map language names to locales (english -> en_EN.ISO…).
    alias = locale.locale_alias.get(name.strip().lower().replace(" ", ""))
    return alias.split("_")[0].split(".")[0] if alias else None


# RSS <language>: an RFC 5646 tag as the RSS board lists them, https://www.rssboard.org/rss-language-codes
Language = Annotated[str, AfterValidator(_check_language)]


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
