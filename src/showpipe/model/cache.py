"""Validated episodes kept between runs, so an unchanged YAML file is neither parsed nor checked
again.

Parsing and validating thousands of episode files is most of a big show's run, though few of
them change between two runs. This cache keeps each episode as validated, keyed by its file's
path and the digest of its bytes, in one JSON file under `.showpipe/cache/`. It also carries a
key of everything else the result depends on (showpipe's version and the source of the models
that validate); another key means an empty cache. It is a shortcut, never the truth: a missing
or damaged file means a cold run, and deleting it is always safe.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from showpipe import __version__
from showpipe.config import Settings
from showpipe.digests import data_digest, new_digest
from showpipe.model import fields, show
from showpipe.model.show import Episode, load_episode

EPISODES_FILE = "episodes.json"


def code_key(*modules: Any) -> str:
    """A digest of showpipe's version and the given modules' source: what a cached result was
    made by. A development checkout changes its code without changing its version."""
    digest = new_digest(__version__.encode())
    for module in modules:
        source = Path(module.__file__ or "")
        digest.update(source.read_bytes() if source.is_file() else source.name.encode())
    return digest.hexdigest()


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a cache file; empty when it is missing, unreadable or damaged."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace a cache file atomically: a run killed meanwhile leaves the old file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EpisodeCache:
    """Episodes as validated, by file and content; one per run, saved at its end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = code_key(show, fields)
        stored = read_json(path)
        entries = stored.get("episodes") if stored.get("key") == self.key else None
        self._old: dict[str, Any] = entries if isinstance(entries, dict) else {}
        self._used: dict[str, Any] = {}
        self.hits = 0

    @classmethod
    def of(cls, settings: Settings) -> EpisodeCache:
        return cls(settings.cache_dir / EPISODES_FILE)

    def load(self, path: Path) -> Episode:
        """The episode in `path`: from the cache when its bytes are unchanged, else loaded.

        Raises:
            ValidationError: the file is invalid (never cached).
        """
        source = path.resolve()
        try:
            raw = path.read_bytes()
        except OSError:
            return load_episode(path)  # which says what is wrong with the file
        digest = data_digest(raw)
        cached = self._old.get(str(source))
        if isinstance(cached, dict) and cached.get("digest") == digest:
            episode = _revalidated(cached.get("episode"), source)
            if episode is not None:
                self.hits += 1
                self._used[str(source)] = cached
                return episode
        episode = load_episode(path, raw)
        self._used[str(source)] = {"digest": digest, "episode": episode.model_dump(mode="json")}
        return episode

    def save(self) -> None:
        """Keep this run's episodes (and only them) for the next run, if any changed."""
        if self._used != self._old:
            write_json(self.path, {"key": self.key, "episodes": self._used})


def _revalidated(data: Any, source: Path) -> Episode | None:
    """An episode from its cached values; None if they do not validate (a damaged cache).

    Validated again, since that costs a third of parsing the YAML and keeps a damaged cache
    from ever becoming a wrong episode.
    """
    if not isinstance(data, dict):
        return None
    try:
        return Episode.model_validate(
            {**data, "slug": source.stem, "source": source}, context={"base": source.parent}
        )
    except ValueError:
        return None
