"""Times as feeds and tags write them; no dependencies, so feeds and media share them."""

from __future__ import annotations


def timestamp(seconds: float) -> str:
    """`HH:MM:SS.mmm`: Podlove's Normal Play Time, and Vorbis CHAPTERxxx comments."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def seconds_value(seconds: float) -> int | float:
    """Seconds to the millisecond, whole numbers as integers (`12`, `12.5`, never `12.0`)."""
    rounded = round(float(seconds), 3)
    return int(rounded) if rounded.is_integer() else rounded
