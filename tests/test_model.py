from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from showpipe.errors import ValidationError, shown
from showpipe.model.loading import load_episode, load_feed
from showpipe.model.project import numbers_used_twice


def problems_of(path: Path, loader: Callable[[Path], object] = load_episode) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        loader(path)
    return raised.value.problems


def test_sample_episode_loads_with_resolved_paths(project: Path) -> None:
    episode = load_episode(project / "episodes" / "on-tools.yaml")
    assert episode.slug == "on-tools"
    assert episode.published == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert episode.audio == project / "episodes" / "media" / "on-tools.mp3"
    assert [c.start for c in episode.chapters] == [0, 5, 9]
    assert episode.guests[0].name == "Margaret Hamilton"


def test_sample_feed_loads(project: Path) -> None:
    feed = load_feed(project / "feeds" / "show.yaml")
    assert feed.name == "show"
    assert [h.name for h in feed.hosts] == ["Ada Lovelace", "Grace Hopper"]
    assert feed.categories[1].subcategory == "Documentary"
    assert feed.artwork == project / "feeds" / "artwork" / "show.jpg"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"published": "tomorow"}, "published: 'tomorow' is not a date-time"),
        ({"published": "2026-11-10 10:00"}, "published: '2026-11-10 10:00' has no time zone"),
        ({"title": None}, "title: is required"),
        ({"titel": "x"}, "titel: unknown key; did you mean 'title'?"),
        ({"season": "two"}, "season: 'two' is not a whole number"),
        ({"season": 0}, "season: Input should be greater than 0"),
        ({"type": "extra"}, "type: 'extra' is not one of 'full', 'trailer' or 'bonus'"),
        ({"explicit": "perhaps"}, "explicit: 'perhaps' is not true or false"),
        ({"audio": None}, "an episode needs an audio or a video file"),
        (
            {"chapters": [{"start": "0:10", "title": "b"}, {"start": "0:05", "title": "a"}]},
            "chapters[1].start: chapter 2 starts no later than chapter 1",
        ),
        ({"chapters": [{"start": "ten", "title": "a"}]}, "chapters[0].start: 'ten' is not a time"),
        (
            {"guests": [{"name": "X", "link": "ftp://x"}]},
            "guests[0].link: 'ftp://x' is not an http",
        ),
        ({"guests": [{"nam": "X"}]}, "guests[0].nam: unknown key; did you mean 'name'?"),
    ],
)
def test_bad_episode_fields_are_reported_with_file_line_and_field(
    make_episode: Callable[..., Path], overrides: dict[str, object], expected: str
) -> None:
    path = make_episode(**overrides)
    problems = problems_of(path)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"{shown(path)}:") for p in problems)


def test_error_points_at_the_line_of_the_field(make_episode: Callable[..., Path]) -> None:
    path = make_episode(published="tomorow")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "tomorow" in text)
    assert problems_of(path) == [
        f"{shown(path)}:{line}: published: 'tomorow' is not a date-time "
        "(write it like 2026-11-20T09:00:00+01:00)"
    ]


def test_every_error_of_a_file_is_reported_at_once(make_episode: Callable[..., Path]) -> None:
    problems = problems_of(make_episode(published="x", season="y", colour="blue"))
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: [unclosed\n", "invalid YAML"),
        ("- a list\n", "must be a mapping"),
        ("title: a\ntitle: b\n", "invalid YAML"),
    ],
)
def test_unparseable_yaml_is_reported_with_its_line(
    project: Path, text: str, expected: str
) -> None:
    path = project / "episodes" / "broken.yaml"
    path.write_text(text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{shown(path)}:") and expected in problem


def test_non_utf8_file_is_reported(project: Path) -> None:
    path = project / "episodes" / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    assert "not valid UTF-8" in problems_of(path)[0]


def test_category_must_be_on_apples_list(project: Path) -> None:
    path = project / "feeds" / "show.yaml"
    path.write_text(path.read_text().replace("category: Technology", "category: Tech"))
    problems = problems_of(path, load_feed)
    assert any(
        "categories[0]: 'Tech' is not an Apple Podcasts category" in p and "Technology" in p
        for p in problems
    ), problems


def test_subcategory_must_belong_to_its_category(project: Path) -> None:
    path = project / "feeds" / "show.yaml"
    path.write_text(path.read_text().replace("subcategory: Documentary", "subcategory: Improv"))
    assert any(
        "'Improv' is not a subcategory of Society & Culture" in p
        for p in problems_of(path, load_feed)
    )


def test_each_repeated_number_is_reported_on_the_later_episodes_in_time_order(
    make_episode: Callable[..., Path],
) -> None:
    # File names in another order than the times: the earliest in time keeps the number.
    at = "2026-11-{:02d}T10:00:00+00:00".format
    paths = [
        make_episode("a", season=3, episode=7, published=at(5)),
        make_episode("b", season=3, episode=7, published=at(1)),
        make_episode("c", season=3, episode=8, published=at(3)),
        make_episode("d", season=3, episode=8, published=at(2)),
        make_episode("e", season=3, episode=7, published=at(4)),
        make_episode("f", season=3, episode=9, published=at(6)),
        make_episode("g", season=3, episode=9, type="bonus", published=at(7)),
    ]
    problems = numbers_used_twice([load_episode(path) for path in paths])
    assert [p.split(":")[0].rsplit("/", 1)[-1] for p in problems] == ["c.yaml", "e.yaml", "a.yaml"]
    assert "episode: 8 of season 3 is already d.yaml" in problems[0]
    assert "episode: 7 of season 3 is already b.yaml" in problems[1]
    assert "episode: 7 of season 3 is already b.yaml" in problems[2]
