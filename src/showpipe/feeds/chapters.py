"""The JSON chapters file (podcast:chapters), generated from an episode's chapters.

Format: podcast-namespace `docs/examples/chapters/jsonChapters.md`, version 1.2.0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from showpipe.feeds.text import clean_text, clean_url
from showpipe.model.episode import Chapter, Episode
from showpipe.model.manifest import StoredFile
from showpipe.times import seconds_value

CHAPTERS_VERSION = "1.2.0"
CHAPTERS_TYPE = "application/json+chapters"


def with_images(
    chapters: Sequence[Chapter], images: Sequence[StoredFile]
) -> Iterator[tuple[Chapter, StoredFile | None]]:
    """Each chapter with its published image; `images` are those of the chapters that have
    one, in chapter order (as the manifest records them)."""
    pending = iter(images)
    for chapter in chapters:
        yield chapter, next(pending, None) if chapter.image else None


def chapters_json(episode: Episode, images: Sequence[StoredFile], *, public_url: str) -> bytes:
    """The chapters file's exact bytes: stable key order and formatting, so stable hashes.

    Args:
        episode: the episode whose chapters to write (must have some).
        images: the published images of the chapters that have one, in chapter order.
        public_url: where storage keys are served, ending in `/`.
    """
    base = clean_url(public_url)
    chapters: list[dict[str, Any]] = []
    for chapter, image in with_images(episode.chapters, images):
        entry: dict[str, Any] = {
            "startTime": seconds_value(chapter.start),  # integers stay so, as in the spec
            "title": clean_text(chapter.title),
        }
        if image is not None:
            entry["img"] = image.href(base)
        if chapter.link:
            entry["url"] = clean_url(chapter.link)
        chapters.append(entry)
    document = {
        "version": CHAPTERS_VERSION,
        "title": clean_text(episode.title),
        "chapters": chapters,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
