"""Installing showpipe: the wheel carries its data and templates, and the CLI runs from it.

Built without a network (`--no-index --no-build-isolation`, the dev venv has setuptools).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (a build leaves build/ behind)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source)
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip, "--no-index", "-q", "-w", str(out), str(source)], check=True)
    [built] = out.glob("showpipe-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    package = REPO / "src"
    expected = {
        p.relative_to(package).as_posix()
        for p in (package / "showpipe").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    names = set(zipfile.ZipFile(wheel).namelist())
    assert expected - names == set()
    assert "showpipe/web/templates/index.html" in names and "showpipe/data/podcast.xsd" in names


def test_the_installed_wheel_runs(wheel: Path, tmp_path: Path, project: Path) -> None:
    target = tmp_path / "installed"
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q"]
    subprocess.run([*pip, "--target", str(target), str(wheel)], check=True)
    # The dependencies come from this venv; showpipe itself only from the installed wheel.
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import showpipe; print(showpipe.__file__)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(target))
    help_text = subprocess.run(
        [target / "bin" / "showpipe", "--help"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "init" in help_text and "publish" in help_text
    # check reads the shipped vocabularies; site renders the shipped templates.
    for command in (["check"], ["site"]):
        subprocess.run(
            [target / "bin" / "showpipe", "-C", str(project), *command], env=env, check=True
        )


def test_make_run_installs_only_what_showpipe_needs_to_run(tmp_path: Path) -> None:
    shutil.copy(REPO / "Makefile", tmp_path)
    (tmp_path / "pyproject.toml").touch()

    def planned(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, check=True
        ).stdout

    assert "pip install --quiet -e ." in planned("run")
    assert "[dev]" not in planned("run") and "[dev]" not in planned("serve")
    assert "-e '.[dev]'" in planned("test")
