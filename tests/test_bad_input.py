"""A podcaster's mistakes: each is one `file:line` error from `showpipe check`, no traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_with(path: Path, needle: str) -> int:
    """The last line holding `needle` (the second of two equal chapter starts)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return max(n for n, text in enumerate(lines, 1) if needle in text)


PILOT = "episodes/pilot.yaml"
PUBLISHED = "published: 2026-11-02T09:00:00+01:00"


@pytest.mark.parametrize(
    ("file", "old", "new", "needle", "expected"),
    [
        # Unquoted, these are YAML timestamps that the YAML loaders themselves choked on.
        (
            PILOT,
            PUBLISHED,
            "published: 2026-13-01T09:00:00Z",
            "published",
            "month must be in 1..12",
        ),
        (PILOT, PUBLISHED, "published: 2026-02-30T09:00:00Z", "published", "day is out of range"),
        (PILOT, PUBLISHED, "published: 2026-02-03T25:00:00Z", "published", "hour must be in 0..23"),
        (
            PILOT,
            PUBLISHED,
            "published: 2026-02-03T09:00:00+25:00",
            "published",
            "a time zone offset must be less than 24 hours",
        ),
        (PILOT, PUBLISHED, 'published: "2026-02-30T09:00:00Z"', "published", "day is out of range"),
        (
            PILOT,
            'start: "0:08"',
            'start: "2:60"',
            "2:60",
            "chapters[1].start: '2:60' is not a time: 60 is more than 59 minutes or seconds",
        ),
        (
            PILOT,
            'start: "0:08"',
            'start: "0:00"',
            'start: "0:00"',
            "chapters[1].start: chapter 2 starts no later than chapter 1",
        ),
        (
            PILOT,
            'start: "0:08"',
            'start: "2:00"',
            '"2:00"',
            "chapters[1].start: 00:02:00.000 is not inside",
        ),
        (
            "feeds/show.yaml",
            "language: en",
            "language: English",
            "language",
            "language: 'English' is not a language code; write 'en'",
        ),
        (
            PILOT,
            "title: Pilot",
            "title: Pilot: the start",
            "Pilot: the start",
            "mapping values are not allowed here; fix: a value containing ': ' must be quoted",
        ),
        (
            PILOT,
            "keywords: [introduction, podcasting]",
            "keywords: [introduction, podcasting",
            "keywords",
            "fix: a value starting with [ is a list: close it, or quote the value",
        ),
        (PILOT, "explicit: false", "\texplicit: false", "explicit", "indent with spaces, not tabs"),
        (
            PILOT,
            "summary: Ada and Grace introduce the show and each other.",
            "summary: One line about this episode, shown in podcast apps' lists.",
            "summary",
            "summary: is still the template's text; write your own",
        ),
        (
            "episodes/on-tools.yaml",
            "episode: 2",
            "episode: 1",
            "episode: 1",
            "episode: 1 of season 1 is already pilot.yaml; give the next free number",
        ),
    ],
)
def test_a_mistake_is_one_error_at_its_line(
    run: Run, project: Path, file: str, old: str, new: str, needle: str, expected: str
) -> None:
    path = project / file
    edit(path, old, new)
    result = run("check")
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = line_with(path, needle)
    assert f"{file}:{line}: " in result.stderr and expected in result.stderr, result.stderr
    # one mistake, one error: no second complaint about the same edit
    assert len(re.findall(r"\.ya?ml:\d+: ", result.stderr)) == 1, result.stderr


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--public-url", ""), "public_url '' is not an http(s) URL"),
        (("--public-url", "cdn.example.com/show"), "is not an http(s) URL"),
        (("--storage", "s3:/bucket/prefix"), "storage 's3:/bucket/prefix': 's3:' is not a storage"),
        (("--storage", "S3://bucket/prefix"), "'S3:' is not a storage"),
        (("--storage", "gs://bucket"), "'gs:' is not a storage"),
    ],
)
def test_unusable_settings_are_refused_before_anything_happens(
    run: Run, project: Path, flags: tuple[str, ...], expected: str
) -> None:
    result = run(*flags, "publish", PILOT)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert not (project / "public").exists() and not (project / "s3:").exists()


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("English", "write 'en'"),
        ("german", "write 'de'"),
        ("en_US", "write 'en-US'"),
        ("xx yy", ""),
    ],
)
def test_a_language_name_suggests_its_code(project: Path, written: str, hint: str) -> None:
    from showpipe.errors import ValidationError
    from showpipe.model.loading import load_feed

    edit(project / "feeds/show.yaml", "language: en", f"language: {written}")
    with pytest.raises(ValidationError) as raised:
        load_feed(project / "feeds/show.yaml")
    [problem] = raised.value.problems
    assert f"language: '{written}' is not a language code" in problem and hint in problem


def test_a_windows_drive_is_still_a_folder(project: Path) -> None:
    from showpipe.config import check_storage

    check_storage("C:\\\\shows\\\\public")  # one letter before the colon: no scheme
    check_storage("public")


def test_storage_setting_in_the_file_is_checked_too(run: Run, project: Path) -> None:
    edit(project / "showpipe.toml", 'storage = "public"', 'storage = "s3:/bucket/prefix"')
    result = run("check")
    assert result.exit_code == 1 and "'s3:' is not a storage" in result.stderr


def test_the_same_number_in_another_season_is_fine(run: Run, project: Path) -> None:
    edit(project / "episodes/on-tools.yaml", "season: 1\nepisode: 2", "season: 2\nepisode: 1")
    assert run("check").exit_code == 0
