"""Tagging inside publish, `showpipe tag` and `showpipe check`: copies, reuse, refusals."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import mutagen.id3
import mutagen.mp4
import pytest
from click.testing import Result
from mediafactory import make_artwork
from PIL import Image

from sampleshow import NOW, opens_of, publish_sample
from sampleshow import file_digest as digest
from showpipe.config import Settings
from showpipe.media.hashes import HASHES_FILE
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.publishing.plan import plan_feeds_only, plan_publish, run_plan
from showpipe.storage.local import LocalStorage

Run = Callable[..., Result]


def tagged_files(settings: Settings) -> list[Path]:
    folder = settings.cache_dir / "tagged"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def publish(settings: Settings, *names: str) -> LocalStorage:
    """Publish the named sample episodes (file names without .yaml)."""
    return publish_sample(settings, [settings.episodes_dir / f"{n}.yaml" for n in names])


def test_published_media_is_the_tagged_copy_described_by_the_manifest(
    settings: Settings,
) -> None:
    storage = publish(settings, "on-tools")
    record = read_manifest(storage).episodes["5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"]
    audio, video = record.media["audio"], record.media["video"]
    for stored in (audio, video):
        path = storage.root / stored.key
        assert (stored.size, stored.digest) == (path.stat().st_size, digest(path))
        # the key follows the recording, not the tags
        assert stored.recording and stored.key.endswith(f"-{stored.recording[:12]}{path.suffix}")
        assert digest(path) in {digest(p) for p in tagged_files(settings)}
    tag = mutagen.id3.ID3(storage.root / audio.key)
    assert tag["TALB"].text == ["The Sample Show"]
    assert tag["TPE1"].text == ["Ada Lovelace, Grace Hopper"]
    assert tag["WFED"].url == "http://localhost:8000/feeds/show.xml"
    assert [c.sub_frames["TIT2"].text[0] for c in tag.getall("CHAP")] == [
        "Intro",
        "Microphones",
        "The pipeline",
    ]
    # the episode's own artwork is the cover
    cover = (settings.episodes_dir / "media" / "on-tools.jpg").read_bytes()
    assert tag.getall("APIC")[0].data == cover
    # the video is tagged as part of the video feed
    atoms = mutagen.mp4.MP4(storage.root / video.key).tags
    assert atoms["\xa9alb"] == ["The Sample Show (Video)"]
    assert atoms["purl"] == ["http://localhost:8000/feeds/videos.xml"]


def test_republishing_unchanged_reuses_the_copies_and_uploads_nothing(
    settings: Settings,
) -> None:
    storage = publish(settings, "on-tools", "pilot")
    copies = {p: p.stat().st_mtime_ns for p in tagged_files(settings)}
    plan = plan_publish(
        load_project(settings),
        storage,
        [settings.episodes_dir / "on-tools.yaml", settings.episodes_dir / "pilot.yaml"],
        now=NOW,
    )
    assert not plan.changes_anything
    assert {p: p.stat().st_mtime_ns for p in tagged_files(settings)} == copies


def test_a_changed_title_retags_and_uploads_a_new_object(settings: Settings) -> None:
    storage = publish(settings, "pilot")
    path = settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", "title: The Pilot"))
    plan = plan_publish(load_project(settings), storage, [path], now=NOW)
    needed = [u for u in plan.uploads if u.needed]
    # the chapters file names the episode too, so it changes with the title
    assert sorted(u.file.key.split("-")[0] for u in needed) == ["chapters/pilot", "media/pilot"]
    run_plan(plan, storage)
    assert mutagen.id3.ID3(storage.root / needed[0].file.key)["TIT2"].text == ["The Pilot"]
    assert len(tagged_files(settings)) == 1  # the old copy is gone from the cache


def test_id3v23_reaches_the_uploaded_file(settings: Settings) -> None:
    storage = LocalStorage(settings.root / "public")
    paths = [settings.episodes_dir / "pilot.yaml"]
    plan = plan_publish(load_project(settings), storage, paths, now=NOW, id3_version=3)
    run_plan(plan, storage)
    [upload] = [u for u in plan.uploads if u.file.key.endswith(".mp3")]
    assert mutagen.id3.ID3(storage.root / upload.file.key).version == (2, 3, 0)


def test_a_file_no_feed_takes_is_tagged_as_the_first_feeds_show(run: Run, project: Path) -> None:
    (project / "feeds" / "videos.yaml").unlink()
    result = run("tag", "episodes/on-tools.yaml")
    video = project / result.stdout.splitlines()[1].split(" -> ")[1]
    atoms = mutagen.mp4.MP4(video).tags
    assert atoms["\xa9alb"] == ["The Sample Show"]
    assert atoms["purl"] == ["http://localhost:8000/feeds/show.xml"]


def test_cron_feeds_never_tag_or_read_media(settings: Settings) -> None:
    storage = publish(settings, "pilot")
    shutil.rmtree(settings.root / ".showpipe")
    shutil.rmtree(settings.episodes_dir / "media")
    run_plan(plan_feeds_only(load_project(settings), storage, now=NOW), storage)
    # nothing tagged: only what was validated and rendered is kept, to save the next run work
    caches = sorted(p.name for p in settings.cache_dir.iterdir() if p.suffix != ".base")
    assert caches == ["episodes.sealed", "feed-items.sealed", "manifest.sealed"]


def test_tag_command_prints_the_copies_and_reuses_them(run: Run, project: Path) -> None:
    source = project / "episodes" / "media" / "on-tools.mp3"
    before = digest(source)
    dry = run("tag", "--dry-run", "episodes/on-tools.yaml")
    assert dry.stdout == (
        "would tag episodes/media/on-tools.mp3\nwould tag episodes/media/on-tools.mp4\n"
        "would tag episodes/media/on-tools.opus\n"  # the alternate is tagged too
    )
    assert not (project / ".showpipe").exists()
    first = run("tag", "episodes/on-tools.yaml")
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [line.split(" -> ")[0] for line in lines] == [
        "episodes/media/on-tools.mp3",
        "episodes/media/on-tools.mp4",
        "episodes/media/on-tools.opus",
    ]
    for line in lines:
        assert (project / line.split(" -> ")[1]).is_file()
        assert line.split(" -> ")[1].startswith(".showpipe/cache/tagged/on-tools-")
    again = run("tag", "episodes/on-tools.yaml")
    assert again.stdout.count("(unchanged, reused)") == 3
    dry = run("tag", "--dry-run", "episodes/on-tools.yaml")
    assert dry.stdout == again.stdout.replace("(unchanged, reused)", "(unchanged)")
    assert digest(source) == before
    assert not (project / "public").exists()
    v23 = run("tag", "--id3v2.3", "episodes/pilot.yaml")
    assert mutagen.id3.ID3(project / v23.stdout.split(" -> ")[1].strip()).version[1] == 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda media, p: p.write_bytes(b""), "file is empty"),
        (lambda media, p: p.write_bytes(bytes(range(256)) * 40), "not a valid MP3 file"),
        (lambda media, p: shutil.copy(media / "on-tools.mp4", p), "not a valid MP3 file"),
        (
            lambda media, p: p.write_bytes((media / "pilot.mp3").read_bytes()[:30000]),
            "file is truncated",
        ),
    ],
    ids=["empty", "random-bytes", "mp4-named-mp3", "truncated"],
)
def test_bad_media_is_refused_before_anything_is_written(
    run: Run, project: Path, make_episode: Callable[..., Path], make, message: str
) -> None:  # type: ignore[no-untyped-def]
    media = project / "episodes" / "media"
    make(media, media / "bad.mp3")
    make_episode("bad", audio="media/bad.mp3")
    for command in ("tag", "publish"):
        result = run(command, "episodes/pilot.yaml", "episodes/bad.yaml")
        assert result.exit_code == 1
        # the YAML file and line that name the file, then the file itself
        line = (project / "episodes" / "bad.yaml").read_text().splitlines().index(
            "audio: media/bad.mp3"
        ) + 1
        assert result.stderr.startswith(
            f"Error: episodes/bad.yaml:{line}: audio: episodes/media/bad.mp3: "
        )
        assert message in result.stderr and "Traceback" not in result.output
    assert not (project / ".showpipe").exists() and not (project / "public").exists()


def _cmyk(path: Path) -> None:
    Image.new("CMYK", (1400, 1400)).save(path)


@pytest.mark.parametrize(
    ("target", "make", "message"),
    [
        ("episodes/media/on-tools.jpg", lambda p: None, ""),
        (
            "episodes/media/on-tools.jpg",
            lambda p: Image.new("RGB", (1600, 900)).save(p),
            "artwork must be square, not 1600x900",
        ),
        (
            "episodes/media/on-tools.jpg",
            _cmyk,
            "artwork must be RGB, not CMYK (save it as an RGB image)",
        ),
        (
            "episodes/media/on-tools.jpg",
            lambda p: Image.new("RGB", (100, 100)).save(p, format="GIF"),
            "artwork must be JPEG or PNG, not GIF",
        ),
        (
            "feeds/artwork/show.jpg",
            lambda p: make_artwork(p, 1000),
            "show artwork must be 1400 to 3000 px a side, not 1000x1000",
        ),
    ],
    ids=["ok", "not-square", "cmyk", "gif", "small-show-art"],
)
def test_bad_artwork_stops_publish_and_check_reports_it(
    run: Run, project: Path, target: str, make, message: str
) -> None:  # type: ignore[no-untyped-def]
    make(project / target)
    result = run("publish", "episodes/on-tools.yaml")
    check = run("check")
    if not message:
        assert result.exit_code == 0 and check.exit_code == 0
        return
    assert result.exit_code == 1 and check.exit_code == 1
    assert result.stderr == f"Error: {target}: {message}\n"
    assert f"{target}: {message}" in check.stderr
    assert not (project / ".showpipe").exists() and not (project / "public").exists()


def test_chapter_past_the_end_of_the_media_is_refused(
    run: Run, project: Path, make_episode: Callable[..., Path]
) -> None:
    make_episode("long", chapters=[{"start": 0, "title": "a"}, {"start": "0:25", "title": "b"}])
    result = run("publish", "episodes/long.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: episodes/long.yaml:10: chapters[1].start: 00:00:25.000 is"
    )
    assert "not inside episodes/media/pilot.mp3, which lasts 00:00:20." in result.stderr
    assert not (project / ".showpipe").exists() and not (project / "public").exists()
    assert "chapters[1].start" in run("check").stderr


def test_an_unchanged_alternate_rendition_is_not_read_again(settings: Settings) -> None:
    storage = publish(settings, "on-tools")
    opus = settings.episodes_dir / "media" / "on-tools.opus"
    [alternate] = read_manifest(storage).episodes["5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"].alternates
    paths = [settings.episodes_dir / "on-tools.yaml"]
    # An unchanged file must not be read (hashed or probed) again on every publish: it is
    # opened once, by the check that it is a regular file inside the project.
    with opens_of(opus) as trusted:
        plan = plan_publish(load_project(settings), storage, paths, now=NOW)
    [again] = plan.manifest.episodes["5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"].alternates
    assert again.digest == alternate.digest
    (settings.cache_dir / HASHES_FILE).unlink()
    with opens_of(opus) as unknown:
        plan_publish(load_project(settings), storage, paths, now=NOW)
    assert len(trusted) == 1 < len(unknown)
