"""Times as people, feeds and tags write them; no dependencies, so every layer shares them."""

from __future__ import annotations

import re

# [[H:]M:]S[.fraction]: the leading part may be any size ("62:30" is 62 minutes), each part
# after it is under 60 ("2:60" is a typo, not 3:00).
_CLOCK = re.compile(r"(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?(\.\d+)?")


def parse_clock(text: str) -> float:
    """Seconds from `[[H:]MM:]SS[.mmm]` (chapters, itunes:duration, Vorbis CHAPTERxxx).

    Raises:
        ValueError: `text` is not such a time, or a part after the first is 60 or more.
    """
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a time (write 1:23:45, 12:34 or seconds)")
    first, *rest = [int(part) for part in match.groups()[:3] if part is not None]
    seconds = first
    for part in rest:
        if part >= 60:
            raise ValueError(f"'{text}' is not a time: {part} is more than 59 minutes or seconds")
        seconds = seconds * 60 + part
    return seconds + float(match.group(4) or 0)


def timestamp(seconds: float) -> str:
    """`HH:MM:SS.mmm`: Podlove's Normal Play Time, and Vorbis CHAPTERxxx comments."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def clock(seconds: float) -> str:
    """`H:MM:SS`, or `M:SS` under an hour: a time as players show it."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def seconds_value(seconds: float) -> int | float:
    """Seconds to the millisecond, whole numbers as integers (`12`, `12.5`, never `12.0`)."""
    rounded = round(float(seconds), 3)
    return int(rounded) if rounded.is_integer() else rounded
