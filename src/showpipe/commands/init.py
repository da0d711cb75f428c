"""`showpipe init`: a new show's project, ready for its first episode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from showpipe.config import (
    CONFIG_FILE,
    DEFAULT_PUBLIC_URL,
    DEFAULT_STORAGE,
    check_public_url,
    check_storage,
    load_settings,
)
from showpipe.errors import ConfigError
from showpipe.model.fields import apple_categories, did_you_mean

FEED = """\
# The show's {medium} feed. Paths are relative to this file; see docs/ for every field.
title: {title}
description: {description}
link: {link}
language: {language}
author: {author}
owner:
  name: {author}
  email: {email}
hosts:
  - name: {author}
artwork: artwork/{name}.jpg  # see artwork/README.txt
categories:
  - category: {category}
explicit: false
type: episodic
medium: {medium}
"""

CONFIG = """\
# showpipe project settings. Each can also be a flag or a SHOWPIPE_* environment variable.
storage = {storage}  # a local folder, or s3://bucket/prefix
public_url = {public_url}  # the URL that serves the storage
"""

GITIGNORE = "/public/\n/.showpipe/\n"

ARTWORK_NOTE = """\
Put the show's cover here before publishing: {names}.

Apple Podcasts asks for a square JPEG or PNG, 1400 to 3000 pixels a side, in the RGB colour
space. `showpipe check` tells you when a cover breaks these rules.
"""


@dataclass(frozen=True)
class NewShow:
    """What `showpipe init` asks for."""

    title: str
    description: str
    author: str
    email: str
    category: str
    language: str = "en"
    link: str | None = None  # the show's web page (default: the public URL)
    storage: str = DEFAULT_STORAGE
    public_url: str = DEFAULT_PUBLIC_URL
    video: bool = False
    first_episode: str = "Welcome"


def _quoted(text: str) -> str:
    # JSON strings are valid YAML and TOML strings: any title is written safely.
    return json.dumps(text, ensure_ascii=False)


def check_new_show(show: NewShow) -> None:
    """Refuse answers the project could not use, before anything is written.

    Raises:
        ConfigError: naming the answer and what to give instead.
    """
    check_public_url(show.public_url)
    check_storage(show.storage)
    if show.category not in apple_categories():
        hint = did_you_mean(show.category, apple_categories())
        raise ConfigError(f"--category: '{show.category}' is not an Apple Podcasts category{hint}")


def create_show(folder: Path, show: NewShow) -> list[Path]:
    """Write a new show's project into `folder`; return the files written.

    Raises:
        ConfigError: the folder holds a project already, or an answer is unusable.
    """
    check_new_show(show)
    if (folder / CONFIG_FILE).exists() or (folder / "feeds").exists():
        raise ConfigError(f"{folder} holds a showpipe project already")
    link = show.link or show.public_url
    feeds = {"show": ("audio", show.title)}
    if show.video:
        feeds["videos"] = ("video", f"{show.title} (Video)")
    files = {
        CONFIG_FILE: CONFIG.format(
            storage=_quoted(show.storage), public_url=_quoted(show.public_url)
        ),
        ".gitignore": GITIGNORE,
        "feeds/artwork/README.txt": ARTWORK_NOTE.format(
            names=" and ".join(f"{name}.jpg" for name in feeds)
        ),
    }
    for name, (medium, title) in feeds.items():
        files[f"feeds/{name}.yaml"] = FEED.format(
            name=name,
            medium=medium,
            title=_quoted(title),
            description=_quoted(show.description),
            link=_quoted(link),
            language=_quoted(show.language),
            author=_quoted(show.author),
            email=_quoted(show.email),
            category=_quoted(show.category),
        )
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (relative == ".gitignore" and path.exists()):
            path.write_text(text, encoding="utf-8")
            written.append(path)
    (folder / "episodes" / "media").mkdir(parents=True, exist_ok=True)
    return [*written, _first_episode(folder, show)]


def _first_episode(folder: Path, show: NewShow) -> Path:
    from showpipe.commands.new import create_episode

    # Its publish time is left for the user to fill in: `check` asks for it.
    return create_episode(load_settings(folder), show.first_episode, slug=None, published=None)
