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
from showpipe.model import fields, show, yamlfile
from showpipe.model.show import Episode, load_episode
from showpipe.model.yamlfile import YamlProblem, read_yaml_bytes

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
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(data, separators=(",", ":")).encode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EpisodeCache:
    """Episodes as validated, by file and content; one per run, saved at its end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = code_key(show, fields, yamlfile)
        stored = read_json(path)
        entries = stored.get("episodes") if stored.get("key") == self.key else None
        # resolved path -> [digest of the YAML bytes, the episode as JSON]
        self._old: dict[str, Any] = entries if isinstance(entries, dict) else {}
        self._used: dict[str, Any] = {}
        self._folders: dict[Path, Path] = {}
        # The JSON of each episode loaded, by the object's identity (held, so never reused).
        self._json: dict[int, tuple[Episode, str]] = {}
        self.hits = 0

    @classmethod
    def of(cls, settings: Settings) -> EpisodeCache:
        return cls(settings.cache_dir / EPISODES_FILE)

    def load(self, path: Path) -> Episode:
        """The episode in `path`: from the cache when its bytes are unchanged, else loaded.

        Raises:
            ValidationError: the file is invalid (never cached).
        """
        try:
            # The checks every input gets (a regular file, inside the project, not too big).
            raw = read_yaml_bytes(path)
            source = self._resolved(path)
        except (OSError, YamlProblem):
            return load_episode(path)  # which says what is wrong with the file
        digest = data_digest(raw)
        cached = self._old.get(str(source))
        if isinstance(cached, list) and len(cached) == 2 and cached[0] == digest:
            episode = _revalidated(cached[1], source)
            if episode is not None:
                self.hits += 1
                return self._keep(source, digest, episode, cached[1])
        episode = load_episode(path, raw)
        return self._keep(source, digest, episode, episode.model_dump_json())

    def _keep(self, source: Path, digest: str, episode: Episode, data: str) -> Episode:
        self._used[str(source)] = [digest, data]
        self._json[id(episode)] = (episode, data)
        return episode

    def json_of(self, episode: Episode) -> str:
        """The episode as JSON (`model_dump_json`), known already if this cache loaded it."""
        known = self._json.get(id(episode))
        return known[1] if known and known[0] is episode else episode.model_dump_json()

    def _resolved(self, path: Path) -> Path:
        """`path.resolve()`, resolving each folder once: a call per file adds up."""
        if path.is_symlink():
            return path.resolve()
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name

    def save(self) -> None:
        """Keep this run's episodes (and only them) for the next run, if any changed."""
        if self._used != self._old:
            write_json(self.path, {"key": self.key, "episodes": self._used})


def _revalidated(data: Any, source: Path) -> Episode | None:
    """An episode from its cached JSON; None if it does not validate (a damaged cache).

    Validated again, since that costs a fraction of parsing the YAML and keeps a damaged
    cache from ever becoming a wrong episode.
    """
    if not isinstance(data, str) or not data.startswith("{"):
        return None
    # The file's name and place are not in the JSON (they are not fields a YAML file sets).
    names = json.dumps({"slug": source.stem, "source": str(source)})
    try:
        return Episode.model_validate_json(
            names[:-1] + ("," if data != "{}" else "") + data[1:], context={"base": source.parent}
        )
    except ValueError:
        return None
