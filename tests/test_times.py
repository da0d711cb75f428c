"""Times as feeds and tags write them."""

from __future__ import annotations

import pytest

from showpipe.times import clock, parse_clock, seconds_value, timestamp


def test_seconds_are_written_to_the_millisecond_and_whole_ones_as_integers() -> None:
    assert [str(seconds_value(v)) for v in (12, 12.5, 1.0004, 1.9996, 0.0015)] == [
        "12", "12.5", "1", "2", "0.002",
    ]  # fmt: skip


def test_timestamps_carry_hours_and_milliseconds() -> None:
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(3725.5) == "01:02:05.500"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45", 45.0),
        ("1:05", 65.0),
        ("62:30", 3750.0),  # minutes may lead past 59, as itunes:duration writes them
        ("1:02:03.250", 3723.25),
        ("00:00:07.5", 7.5),
        (" 12:34 ", 754.0),
    ],
)
def test_clock_times_are_read_in_every_form_apps_and_people_write(
    text: str, seconds: float
) -> None:
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["2:60", "1:75:00", "1:2:3:4", "ten", "", "-5", "1:", ":30"])
def test_impossible_clock_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_clock(text)


def test_players_show_minutes_under_an_hour_and_hours_after() -> None:
    assert [clock(s) for s in (5, 65.9, 3600, 3725)] == ["0:05", "1:05", "1:00:00", "1:02:05"]
