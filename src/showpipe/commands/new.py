"""`showpipe new`: a new episode file, filled in enough to edit and publish."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

from slugify import slugify

from showpipe.config import Settings
from showpipe.errors import EpisodeError
from showpipe.model.episode import TEMPLATE_PLACEHOLDERS
from showpipe.model.yamlfile import read_yaml_fast

SUMMARY_PLACEHOLDER, DESCRIPTION_PLACEHOLDER = TEMPLATE_PLACEHOLDERS

# `check` refuses the placeholders and an empty `published` until the user replaces them.
TEMPLATE = """\
# A new episode. Paths are relative to this file; see docs/ for every field.
guid: {guid}  # never change this: podcast apps know the episode by it
title: {title}
published: {published}  # with a time zone; a future time schedules the episode
summary: {summary}
description: |
  {description}
season: {season}
episode: {episode}  # the next free number of the season
type: full  # full, trailer or bonus
explicit: false
audio: media/{slug}.mp3
# video: media/{slug}.mp4
# artwork: media/{slug}.jpg
# transcripts: [media/{slug}.vtt]
guests: []
chapters:
  - start: "0:00"
    title: Introduction
keywords: []
"""


def numbers_in_use(settings: Settings) -> list[tuple[int, int]]:
    """(season, episode) of every full episode, read leniently: an episode that does not
    validate yet (the last `new` one, unfinished) still holds its number."""
    used = []
    for path in sorted(settings.episodes_dir.glob("*.yaml")):
        data = read_yaml_fast(path) or {}
        season, number = data.get("season") or 1, data.get("episode")
        if data.get("type", "full") == "full" and isinstance(number, int):
            used.append((season if isinstance(season, int) else 1, number))
    return used


def propose_number(settings: Settings, season: int | None = None) -> tuple[int, int]:
    """The season (default: the latest in use, else 1) and its next free episode number."""
    used = numbers_in_use(settings)
    if season is None:
        season = max((s for s, _ in used), default=1)
    return season, max((n for s, n in used if s == season), default=0) + 1


def create_episode(
    settings: Settings,
    title: str,
    *,
    slug: str | None,
    published: datetime | None,
    summary: str | None = None,
    season: int | None = None,
    episode: int | None = None,
) -> Path:
    """Write `episodes/<slug>.yaml` for `title`, with a new random GUID.

    Args:
        settings: The project's settings.
        title: The episode's title.
        slug: File name (default: from the title).
        published: When it goes live; None leaves it empty, for the user to fill in.
        summary: One line for apps' lists; None leaves the template's text (refused by check).
        season: Its season (default: the latest in use).
        episode: Its number (default: the next free one of the season).

    Raises:
        EpisodeError: the slug is empty or the file exists already.
    """
    slug = slugify(slug or title)
    if not slug:
        raise EpisodeError(f"cannot make a file name from {title!r}; pass --slug")
    path = settings.episodes_dir / f"{slug}.yaml"
    if path.exists():
        raise EpisodeError(f"{path} exists already; choose another title or --slug")
    season, proposed = propose_number(settings, season)
    path.parent.mkdir(parents=True, exist_ok=True)
    # json.dumps quotes text safely for YAML (YAML is a superset of JSON).
    text = TEMPLATE.format(
        guid=uuid.uuid4(),
        title=json.dumps(title, ensure_ascii=False),
        published=published.replace(microsecond=0).isoformat() if published else "null",
        summary=json.dumps(summary, ensure_ascii=False) if summary else SUMMARY_PLACEHOLDER,
        description=DESCRIPTION_PLACEHOLDER,
        season=season,
        episode=episode or proposed,
        slug=slug,
    )
    path.write_text(text, encoding="utf-8")
    return path
