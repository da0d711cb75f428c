"""Times as feeds and tags write them."""

from __future__ import annotations

from showpipe.times import seconds_value, timestamp


def test_seconds_are_written_to_the_millisecond_and_whole_ones_as_integers() -> None:
    assert [str(seconds_value(v)) for v in (12, 12.5, 1.0004, 1.9996, 0.0015)] == [
        "12", "12.5", "1", "2", "0.002",
    ]  # fmt: skip


def test_timestamps_carry_hours_and_milliseconds() -> None:
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(3725.5) == "01:02:05.500"
