"""The CLI's wiring: exit codes, messages on stderr, and what each command prints."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from ruamel.yaml import YAML

Run = Callable[..., Result]


def test_publish_prints_what_it_did_and_the_feed_urls(run: Run, project: Path) -> None:
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 0, result.output
    assert "Published 1 episode(s)" in result.stdout
    assert "http://localhost:8000/feeds/show.xml" in result.stdout
    assert (project / "public" / "feeds" / "show.xml").is_file()


def test_publish_dry_run_prints_the_plan_and_changes_nothing(run: Run, project: Path) -> None:
    result = run("publish", "--dry-run", "episodes/on-tools.yaml")
    assert result.exit_code == 0
    assert "upload media/on-tools-" in result.stdout
    assert "  add On Tools" in result.stdout
    assert not (project / "public").exists()


def test_feeds_is_silent_when_nothing_changed(run: Run) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    result = run("feeds")
    assert result.exit_code == 0 and result.output == ""


def test_a_scheduled_episode_is_announced_and_a_preview_changes_nothing(
    run: Run, make_episode: Callable[..., Path], project: Path
) -> None:
    make_episode("later", published="2099-01-01T09:00:00+01:00")
    published = run("publish", "episodes/pilot.yaml", "episodes/later.yaml")
    assert published.exit_code == 0, published.output
    assert (
        "scheduled: 'Episode later' joins show.xml at 2099-01-01 09:00 +01:00 "
        "(the first cron run after that)"
    ) in published.stdout
    assert "Episode later" in run("check").stdout
    feed = project / "public" / "feeds" / "show.xml"
    live, stamp = feed.read_bytes(), feed.stat().st_mtime_ns

    preview = run("feeds", "--now", "2099-01-02T00:00:00", "--output", "preview")
    assert preview.exit_code == 0, preview.output
    assert "Preview as at 2099-01-02" in preview.stdout and "  add Episode later" in preview.stdout
    assert b"Episode later" in (project / "preview" / "feeds" / "show.xml").read_bytes()
    assert feed.read_bytes() == live and feed.stat().st_mtime_ns == stamp

    # the next real run behaves as if the preview never happened
    assert run("feeds").output == "" and feed.read_bytes() == live
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    assert b"Episode later" not in feed.read_bytes()


def test_output_is_only_for_previews(run: Run) -> None:
    result = run("feeds", "--output", "x")
    assert result.exit_code == 2 and "give --now or --dry-run" in result.stderr


def test_invalid_episode_is_one_clear_error_without_traceback(
    run: Run, make_episode: Callable[..., Path], project: Path
) -> None:
    make_episode("bad", published="tomorow")
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Error: 1 problem:" in result.stderr
    assert "episodes/bad.yaml:3: published: 'tomorow' is not a date-time" in result.stderr
    assert not (project / "public").exists()


def test_publish_of_a_file_outside_the_project_fails(run: Run, tmp_path: Path) -> None:
    stray = tmp_path / "stray.yaml"
    stray.write_text("title: x\n")
    result = run("--project", ".", "publish", str(stray))
    assert result.exit_code == 1
    assert "not an episode of this project" in result.stderr


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("publish").exit_code == 2
    assert run("publish", "--bogus", "x.yaml").exit_code == 2
    assert run("feeds", "--now", "someday").exit_code == 2


def test_check_passes_on_the_sample_and_fails_on_a_missing_file(run: Run, project: Path) -> None:
    result = run("check")
    assert result.exit_code == 0
    assert result.stdout == "ok: 2 feed(s), 3 episode(s)\n"
    (project / "episodes" / "media" / "pilot.mp3").unlink()
    result = run("check")
    assert result.exit_code == 1
    assert "pilot.mp3: file not found (named in pilot.yaml)" in result.stderr


def test_new_scaffolds_a_valid_episode_with_a_guid(run: Run, project: Path) -> None:
    result = run("new", "Ünïcode & Friends")
    assert result.exit_code == 0
    path = project / "episodes" / "unicode-friends.yaml"
    assert result.stdout == f"created {path}\n"
    data = YAML().load(path)
    assert data["title"] == "Ünïcode & Friends"
    assert len(data["guid"]) == 36
    # it names a media file that does not exist yet, so check says so, and nothing else
    missing = run("check")
    assert missing.exit_code == 1
    assert missing.stderr.count("Error") == 1 and "unicode-friends.mp3" in missing.stderr
    # once the recording is there, the scaffold is a valid episode
    shutil.copy(
        project / "episodes" / "media" / "pilot.mp3",
        project / "episodes" / "media" / "unicode-friends.mp3",
    )
    check = run("check")
    assert check.exit_code == 0, check.output


def test_new_refuses_to_overwrite(run: Run) -> None:
    result = run("new", "Pilot")
    assert result.exit_code == 1
    assert "exists already" in result.stderr


def test_environment_overrides_the_config_file(run: Run, project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOWPIPE_STORAGE", str(project / "elsewhere"))
    monkeypatch.setenv("SHOWPIPE_PUBLIC_URL", "https://cdn.example.com/show")
    assert run("-q", "publish", "episodes/pilot.yaml").output == ""
    xml = (project / "elsewhere" / "feeds" / "show.xml").read_text()
    assert "https://cdn.example.com/show/media/pilot-" in xml


def test_republishing_an_unchanged_show_writes_nothing_at_all(run: Run, project: Path) -> None:
    assert run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml").exit_code == 0
    public = project / "public"
    before = {p: p.stat().st_mtime_ns for p in public.rglob("*")}
    result = run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml")
    assert result.exit_code == 0 and "0 file(s) uploaded" in result.stdout
    # no lease, no manifest, no feed, no page written: nothing to lock when nothing changes
    assert {p: p.stat().st_mtime_ns for p in public.rglob("*")} == before


def test_check_and_publish_lint_the_feeds_as_they_will_be_built(
    run: Run, make_episode: Callable[..., Path], project: Path
) -> None:
    assert run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml").exit_code == 0
    show = project / "feeds" / "show.yaml"
    show.write_text(show.read_text().replace("type: episodic", "type: serial"))
    make_episode("unnumbered")  # not published yet: no episode number in a serial show
    problem = "item 'Episode unnumbered': error: a serial show needs itunes:episode"

    checked = run("check")
    assert checked.exit_code == 1 and problem in checked.stderr

    live = (project / "public" / "feeds" / "show.xml").read_bytes()
    for dry in ([], ["--dry-run"]):
        refused = run("publish", *dry, "episodes/unnumbered.yaml")
        assert refused.exit_code == 1 and problem in refused.stderr
    assert (project / "public" / "feeds" / "show.xml").read_bytes() == live
    assert "guid-unnumbered" not in (project / "public" / "showpipe" / "manifest.json").read_text()


def test_small_episode_artwork_is_a_warning_before_it_goes_out(
    run: Run, make_episode: Callable[..., Path], project: Path
) -> None:
    from mediafactory import make_artwork

    make_artwork(project / "episodes" / "media" / "small.jpg", 600)
    make_episode("small-art", artwork="media/small.jpg")
    warning = "small-art.yaml: warning: artwork is 600×600 px; Apple asks for 1400"
    assert warning in run("check").stdout
    published = run("publish", "episodes/small-art.yaml")
    assert published.exit_code == 0 and warning in published.stderr
