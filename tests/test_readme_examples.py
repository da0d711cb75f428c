"""The documented examples work: the feed and episode YAML of docs/formats.md load with every
field they show, and the README's "Start your own show" publishes a show."""

from __future__ import annotations

from pathlib import Path

from showpipe.model.loading import load_episode, load_feed

REPO = Path(__file__).resolve().parent.parent
FORMATS = (REPO / "docs" / "formats.md").read_text()
README = (REPO / "README.md").read_text()


def example(heading: str) -> str:
    return FORMATS.split(heading)[1].split("```yaml")[1].split("```")[0]


def test_the_feed_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "show.yaml"
    path.write_text(example("## A feed: `feeds/<name>.yaml`"))
    feed = load_feed(path)
    assert feed.locked and feed.funding and feed.license and feed.update_frequency
    assert feed.podroll and feed.seasons == {1: "Making the show"}


def test_the_episode_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "on-tools.yaml"
    path.write_text(example("## An episode: `episodes/<slug>.yaml`"))
    episode = load_episode(path)
    assert episode.alternates == [tmp_path / "media" / "on-tools.opus"]
    assert episode.poster and episode.soundbites and not episode.unpublished


def test_the_remote_media_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "imported.yaml"
    required = "title: Old\npublished: 2020-01-01T00:00:00Z\nsummary: s\ndescription: d\n"
    path.write_text(required + example("### Media kept on another host"))
    episode = load_episode(path)
    assert episode.remote_audio and episode.remote_audio.length == 24567890
    assert episode.remote_transcripts and episode.chapters_url
