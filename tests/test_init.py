"""`showpipe init`: an empty folder to a published show, with the commands of docs/start.md
and of the README's walkthrough."""

from __future__ import annotations

import io
import shlex
import shutil
from pathlib import Path

import podcastparser
import pytest
from click.testing import CliRunner, Result

from showpipe.cli import cli
from terminal import run_on_terminal

REPO = Path(__file__).resolve().parent.parent
GUIDE = (REPO / "docs" / "start.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")
WALKTHROUGHS = {
    "docs/start.md": GUIDE,
    "README.md": README.split("## Start your own show")[1].split("\n## ")[0],
}


def documented_commands(guide: str = GUIDE) -> list[list[str]]:
    """Every `showpipe …` line of the guide's shell blocks, split as a shell would (without
    the comments at their ends)."""
    blocks = [part.split("```")[0] for part in guide.split("```sh\n")[1:]]
    lines = [line for block in blocks for line in block.splitlines()]
    return [shlex.split(line, comments=True)[1:] for line in lines if line.startswith("showpipe ")]


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def command(name: str, guide: str = GUIDE) -> list[str]:
    return next(c for c in documented_commands(guide) if c[0] == name)


@pytest.mark.parametrize("where", WALKTHROUGHS)
def test_an_empty_folder_becomes_a_published_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    guide = WALKTHROUGHS[where]

    def command(name: str) -> list[str]:
        return next(c for c in documented_commands(guide) if c[0] == name)

    monkeypatch.chdir(tmp_path)
    init = command("init")
    run(*init)
    show = tmp_path / init[1]
    assert sorted(p.name for p in show.iterdir()) == [
        ".gitignore",
        "episodes",
        "feeds",
        "showpipe.toml",
    ]
    assert "1400" in (show / "feeds" / "artwork" / "README.txt").read_text()
    monkeypatch.chdir(show)
    # What the guide asks of the user: their cover, their recording, the episode's text.
    shutil.copy(REPO / "feeds" / "artwork" / "show.jpg", show / "feeds" / "artwork" / "show.jpg")
    shutil.copy(
        REPO / "episodes" / "media" / "pilot.mp3", show / "episodes" / "media" / "welcome.mp3"
    )
    refused = CliRunner().invoke(cli, command("check"))
    assert refused.exit_code == 1
    assert "welcome.yaml:4: published: is empty" in refused.stderr
    episode = show / "episodes" / "welcome.yaml"
    text = episode.read_text()
    text = text.replace("published: null", "published: 2026-11-02T09:00:00+01:00")
    text = text.replace("One line about this episode, shown in podcast apps' lists.", "Hello.")
    episode.write_text(text.replace("What this episode is about, in **Markdown**.", "We begin."))
    assert run(*command("check")).stdout.startswith("ok: 1 feed(s), 1 episode(s)")
    run(*command("publish"))
    xml = (show / "public" / "feeds" / "show.xml").read_bytes()
    parsed = podcastparser.parse("http://localhost:8000/feeds/show.xml", io.BytesIO(xml))
    assert parsed["title"] == "My Show"
    [item] = parsed["episodes"]
    assert item["title"] == "Welcome" and item["number"] == 1
    assert item["enclosures"][0]["url"].startswith("http://localhost:8000/media/")


def test_new_proposes_the_next_free_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(*command("init"))
    monkeypatch.chdir(tmp_path / "my-show")
    new = command("new")
    run(*new)
    text = (tmp_path / "my-show" / "episodes" / "interview-with-grace.yaml").read_text()
    assert "\nepisode: 2 " in text and "published: 2026-12-14T09:00:00+01:00" in text


def test_init_names_what_is_missing_when_it_cannot_ask(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "x"), "--title", "T"])
    assert result.exit_code == 2
    assert "missing --description, --author, --email, --category" in result.stderr
    assert not (tmp_path / "x").exists()


def test_init_asks_on_a_terminal(tmp_path: Path) -> None:
    answers = "T\nA show.\nAda\nada@example.com\nTechnology\nde\ny\n"
    screen = run_on_terminal(tmp_path, "init", "x", typed=answers)
    assert "Title:" in screen and "Also a video feed?" in screen
    assert (tmp_path / "x" / "feeds" / "videos.yaml").is_file()
    assert 'language: "de"' in (tmp_path / "x" / "feeds" / "show.yaml").read_text()


def test_init_refuses_an_existing_project_and_a_wrong_category(project: Path) -> None:
    flags = ["--title", "T", "--description", "D", "--author", "A", "--email", "a@b.co"]
    result = CliRunner().invoke(cli, ["init", str(project), *flags, "--category", "Technology"])
    assert result.exit_code == 1 and "holds a showpipe project already" in result.stderr
    result = CliRunner().invoke(cli, ["init", str(project / "n"), *flags, "--category", "Tech"])
    assert result.exit_code == 1 and "did you mean 'Technology'" in result.stderr


def test_new_asks_for_the_publish_time_on_a_terminal(project: Path) -> None:
    typed = "2026-12-24T09:00:00+01:00\nChristmas special.\n"
    screen = run_on_terminal(project, "new", "Holiday", typed=typed)
    assert "Goes live at" in screen and "Summary" in screen
    text = (project / "episodes" / "holiday.yaml").read_text()
    assert "published: 2026-12-24T09:00:00+01:00" in text
    assert 'summary: "Christmas special."' in text
