"""`showpipe import` of a real-world-shaped feed served over HTTP, then publishing it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mediafactory import make_artwork, make_audio

from sampleshow import items_by_guid
from showpipe.cli import cli
from showpipe.digests import file_digests
from showpipe.media import HashCache
from terminal import run_on_terminal

DATA = Path(__file__).parent / "data"


@pytest.fixture
def old_host(tmp_path: Path, http_server: Callable[..., str]) -> str:
    """The show's old host: its feed, media, artwork, transcript and chapters."""
    folder = tmp_path / "old-host"
    make_audio(folder / "media" / "ep2.mp3", 3.0)
    trailer = make_audio(folder / "media" / "trailer.mp3", 2.0, pitch=600.0)
    make_artwork(folder / "art" / "cover.jpg", 1400, label="Night Shift")
    make_artwork(folder / "art" / "ep2.png", 1400, label="Baker")
    (folder / "transcripts").mkdir()
    (folder / "transcripts" / "ep2.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n")
    (folder / "chapters").mkdir()
    (folder / "chapters" / "ep2.json").write_text(json.dumps({"version": "1.2.0", "chapters": []}))
    base = http_server(folder)
    feed = (DATA / "old-host-feed.xml").read_text()
    feed = feed.replace("{base}", base).replace("{trailer_length}", str(trailer.stat().st_size))
    (folder / "feed.xml").write_text(feed)
    return base


def showpipe(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


def test_import_keeps_every_guid_date_and_number(tmp_path: Path, old_host: str) -> None:
    project = tmp_path / "new"
    result = showpipe(project, "import", old_host + "feed.xml")
    assert result.exit_code == 0, result.output
    assert "Warning: category 'Not A Real Category' is not on Apple's list" in result.stderr
    assert sorted(p.name for p in (project / "episodes").glob("*.yaml")) == [
        "the-baker-at-3-a-m-other-stories.yaml",
        "trailer.yaml",
    ]
    checked = showpipe(project, "check")
    assert checked.exit_code == 0, checked.output
    published = showpipe(project, "publish", *map(str, (project / "episodes").glob("*.yaml")))
    assert published.exit_code == 0, published.output

    original = (tmp_path / "old-host" / "feed.xml").read_bytes()
    new = (project / "public" / "feeds" / "show.xml").read_bytes()
    before, after = (
        items_by_guid(original, old_host + "feed.xml"),
        items_by_guid(new, "http://localhost:8000/feeds/show.xml"),
    )
    assert sorted(after) == sorted(before) == ["https://nightshift.example/?p=17", "nsr-0002"]
    for guid, old in before.items():
        assert after[guid]["title"] == old["title"]
        assert after[guid]["published"] == old["published"]
        assert after[guid].get("number") == old.get("number") or guid.endswith("?p=17")
        assert after[guid].get("season") == old.get("season")
        assert after[guid]["total_time"] == old["total_time"]
        # media stays on the old host, measured exactly
        [old_enclosure], [new_enclosure] = old["enclosures"], after[guid]["enclosures"][:1]
        assert new_enclosure["url"] == old_enclosure["url"]
        path = tmp_path / "old-host" / old_enclosure["url"].removeprefix(old_host)
        assert new_enclosure["file_size"] == path.stat().st_size

    baker = after["nsr-0002"]
    assert (
        baker["type"] == "full" and after["https://nightshift.example/?p=17"]["type"] == "trailer"
    )
    assert [c["title"] for c in baker["chapters"]] == ["Cold open", "The bakery"]
    assert "<strong>three people</strong>" in baker["description_html"]
    assert "<script>" not in baker["description_html"]
    text = new.decode()
    assert f'<podcast:transcript url="{old_host}transcripts/ep2.vtt" type="text/vtt"' in text
    assert f'<podcast:chapters url="{old_host}chapters/ep2.json"' in text
    # the show keeps its identity in the Podcast Index
    assert "<podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>" in text
    assert "<itunes:type>serial</itunes:type>" in text


def test_original_dates_keep_their_offset(tmp_path: Path, old_host: str) -> None:
    project = tmp_path / "new"
    assert showpipe(project, "import", old_host + "feed.xml").exit_code == 0
    text = (project / "episodes" / "the-baker-at-3-a-m-other-stories.yaml").read_text()
    assert "published: '2024-03-05T07:05:00+01:00'" in text
    assert "guid: nsr-0002" in text
    assert parsedate_to_datetime("Tue, 5 Mar 2024 07:05:00 +0100").isoformat() in text


def test_import_with_download_republishes_the_media_from_here(
    tmp_path: Path, old_host: str
) -> None:
    project = tmp_path / "new"
    assert showpipe(project, "import", "--download", old_host + "feed.xml").exit_code == 0
    downloaded = project / "episodes" / "media" / "the-baker-at-3-a-m-other-stories.mp3"
    assert downloaded.read_bytes() == (tmp_path / "old-host" / "media" / "ep2.mp3").read_bytes()
    assert (
        showpipe(project, "publish", *map(str, (project / "episodes").glob("*.yaml"))).exit_code
        == 0
    )
    new = (project / "public" / "feeds" / "show.xml").read_bytes()
    after = items_by_guid(new, "http://localhost:8000/feeds/show.xml")
    enclosure = after["nsr-0002"]["enclosures"][0]
    assert enclosure["url"].startswith(
        "http://localhost:8000/media/the-baker-at-3-a-m-other-stories-"
    )
    stored = project / "public" / enclosure["url"].removeprefix("http://localhost:8000/")
    assert enclosure["file_size"] == stored.stat().st_size


def test_fetched_files_are_hashed_as_they_arrive(tmp_path: Path, old_host: str) -> None:
    """The build cache knows each fetched image and download (taken from the bytes as they
    arrived), with the digests a fresh read gives, so nothing reads them again."""
    project = tmp_path / "new"
    assert showpipe(project, "import", "--download", old_host + "feed.xml").exit_code == 0
    fetched = [
        *(project / "feeds" / "artwork").iterdir(),
        *(project / "episodes" / "art").iterdir(),
        *(project / "episodes" / "media").iterdir(),
    ]
    assert len(fetched) == 4  # the show's artwork, one episode image, two episodes' audio
    hashes = HashCache(project / ".showpipe" / "cache")
    for path in fetched:
        assert hashes.known(path) == file_digests(path)[0], path
        assert hashes.digests(path) == file_digests(path), path


def test_a_failed_download_is_a_warning_and_the_rest_is_imported(
    tmp_path: Path, old_host: str
) -> None:
    (tmp_path / "old-host" / "art" / "ep2.png").unlink()
    project = tmp_path / "new"
    result = showpipe(project, "import", old_host + "feed.xml")
    assert result.exit_code == 0, result.output
    assert "art/ep2.png: cannot download" in result.stderr
    baker = (project / "episodes" / "the-baker-at-3-a-m-other-stories.yaml").read_text()
    assert "guid: nsr-0002" in baker and "artwork:" not in baker  # the show's artwork, then
    assert (project / "episodes" / "trailer.yaml").is_file()


def test_strict_turns_warnings_into_a_failure_that_writes_nothing(
    tmp_path: Path, old_host: str
) -> None:
    (tmp_path / "old-host" / "art" / "ep2.png").unlink()
    project = tmp_path / "new"
    result = showpipe(project, "import", "--strict", old_host + "feed.xml")
    assert result.exit_code == 1
    assert "--strict: 2 warning(s), nothing written" in result.stderr
    assert "art/ep2.png: cannot download" in result.stderr
    assert not (project / "feeds").exists() and not (project / "episodes").exists()


def test_import_refuses_to_overwrite_and_rejects_non_feeds(
    tmp_path: Path, old_host: str, project: Path
) -> None:
    result = showpipe(project, "import", old_host + "feed.xml")
    assert result.exit_code == 1 and "feeds/show.yaml exists already" in result.stderr
    page = tmp_path / "page.html"
    page.write_text("<html><body>not a feed</body></html>")
    result = showpipe(tmp_path / "empty", "import", str(page))
    assert result.exit_code == 1 and "not a podcast RSS feed" in result.stderr


def test_download_shows_a_progress_bar_on_a_terminal(tmp_path: Path, old_host: str) -> None:
    project = tmp_path / "new"
    project.mkdir()
    drawn = run_on_terminal(
        project, "-C", str(project), "import", "--download", old_host + "feed.xml"
    )
    assert re.search(r"episodes/media/trailer\.mp3\s+\[#+\]\s+100%", drawn), drawn
    quiet = showpipe(tmp_path / "other", "import", "--download", old_host + "feed.xml")
    assert "%" not in quiet.output
