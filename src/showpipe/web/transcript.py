"""Transcripts as text for the episode page: the cues of a WebVTT or SRT file.

WebVTT (https://www.w3.org/TR/webvtt1/) and SubRip share their shape: blocks separated by
blank lines, each with a `start --> end` timing line followed by the cue's text. One reader
takes both; a block without a timing line (the WEBVTT header, NOTE, STYLE) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# A transcript bigger than this is not shown on the page (the feed still links it).
MAX_TRANSCRIPT_BYTES = 2_000_000
TEXT_TRACK_SUFFIXES = (".vtt", ".srt")

_TIMING = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})\s+-->")
_VOICE = re.compile(r"^<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cue:
    start: float
    text: str
    speaker: str | None = None


def parse_cues(text: str) -> list[Cue]:
    """The cues of a WebVTT or SRT document, in file order.

    A voice span (`<v Ada>`) becomes the cue's speaker; other markup is dropped, as the
    text is shown as plain text.
    """
    cues = []
    for block in re.split(r"\r?\n\s*\r?\n", text.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            timing = _TIMING.match(line)
            if timing:
                cues.append(_cue(timing, lines[i + 1 :]))
                break
    return [cue for cue in cues if cue.text]


def _cue(timing: re.Match[str], lines: list[str]) -> Cue:
    hours, minutes, seconds, millis = timing.groups()
    start = (
        int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000
    )
    joined = " ".join(line.strip() for line in lines if line.strip())
    voice = _VOICE.match(joined)
    speaker = voice.group(1).strip() if voice else None
    plain = _TAG.sub("", joined)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "), ("&amp;", "&")):
        plain = plain.replace(entity, char)
    return Cue(start, plain.strip(), speaker)


def read_cues(path: Path) -> list[Cue]:
    """The cues of a local transcript file; none for another type, or a file not there.

    Only a regular file of a sane size is read: the page is a convenience, never a reason
    for a run to hang on a FIFO or fill the memory.
    """
    if path.suffix.lower() not in TEXT_TRACK_SUFFIXES or not path.is_file():
        return []
    if path.stat().st_size > MAX_TRANSCRIPT_BYTES:
        return []
    return parse_cues(path.read_text(encoding="utf-8", errors="replace"))
