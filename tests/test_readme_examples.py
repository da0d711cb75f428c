"""The README's feed and episode examples are valid files, with every field they show."""

from __future__ import annotations

from pathlib import Path

from showpipe.model.show import load_episode, load_feed

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def example(heading: str) -> str:
    return README.split(heading)[1].split("```yaml")[1].split("```")[0]


def test_the_feed_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "show.yaml"
    path.write_text(example("### A feed: `feeds/<name>.yaml`"))
    feed = load_feed(path)
    assert feed.locked and feed.funding and feed.license and feed.update_frequency
    assert feed.podroll and feed.seasons == {1: "Making the show"}


def test_the_episode_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "on-tools.yaml"
    path.write_text(example("### An episode: `episodes/<slug>.yaml`"))
    episode = load_episode(path)
    assert episode.alternates == [tmp_path / "media" / "on-tools.opus"]
    assert episode.poster and episode.soundbites and not episode.unpublished
