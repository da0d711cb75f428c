"""`showpipe new`: a new episode file, filled in enough to edit and publish."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

from slugify import slugify

from showpipe.config import Settings
from showpipe.errors import EpisodeError

TEMPLATE = """\
# A new episode. Paths are relative to this file; see the README for every field.
guid: {guid}  # never change this: podcast apps know the episode by it
title: {title}
published: {published}  # with a time zone; a future time schedules the episode
summary: One line about this episode, shown in podcast apps' lists.
description: |
  What this episode is about, in **Markdown**.
season: 1
episode: 1
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


def create_episode(settings: Settings, title: str, *, slug: str | None, now: datetime) -> Path:
    """Write `episodes/<slug>.yaml` for `title`, with a new random GUID.

    Raises:
        EpisodeError: the slug is empty or the file exists already.
    """
    slug = slugify(slug or title)
    if not slug:
        raise EpisodeError(f"cannot make a file name from {title!r}; pass --slug")
    path = settings.episodes_dir / f"{slug}.yaml"
    if path.exists():
        raise EpisodeError(f"{path} exists already; choose another title or --slug")
    path.parent.mkdir(parents=True, exist_ok=True)
    published = now.replace(microsecond=0).isoformat()
    # json.dumps quotes the title safely for YAML (YAML is a superset of JSON).
    text = TEMPLATE.format(
        guid=uuid.uuid4(),
        title=json.dumps(title, ensure_ascii=False),
        published=published,
        slug=slug,
    )
    path.write_text(text, encoding="utf-8")
    return path
