"""Validated episodes kept between runs, so an unchanged YAML file is neither read, parsed
nor checked again.

Parsing and validating thousands of episode files is most of a big show's run, though few of
them change between two runs. This cache keeps each episode as validated, with the digest of
its file's bytes and the file's identity as `lstat` gives it (inode, size, modification and
change times), as git's index does: a file whose identity is unchanged is not read at all,
one whose identity changed is read and, if its bytes are the same, not parsed. A file changed
within two seconds of being read is read again next time (a timestamp may not show a second
change within one tick of a coarse clock), and so is every symbolic link.

The cache is one sealed pickle under `.showpipe/cache/` (`showpipe.sealed`: only this user's
showpipe can have written it). It carries a key of everything else the result depends on
(showpipe's version and the source of the models that validate); another key means an empty
cache. It is a shortcut, never the truth: a missing or damaged file means a cold run, and
deleting it is always safe.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showpipe import __version__
from showpipe.config import Settings
from showpipe.digests import data_digest, new_digest
from showpipe.errors import ValidationError
from showpipe.inputfiles import Identity, identity, settled
from showpipe.model import fields, show, yamlfile
from showpipe.model.show import Episode, load_episode, load_episodes
from showpipe.model.yamlfile import YamlProblem, read_yaml_bytes
from showpipe.sealed import read_sealed, replace_file, write_sealed

EPISODES_FILE = "episodes.sealed"


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
    """Replace a cache file with `data` as JSON, atomically."""
    replace_file(path, json.dumps(data, separators=(",", ":")).encode())


@dataclass(frozen=True)
class _Entry:
    signature: Identity | None  # None: read the file next time
    digest: str  # of the YAML bytes
    episode: Episode


@dataclass(frozen=True)
class _Unknown:
    """A file the cache does not know: read, to be validated."""

    path: Path
    source: Path  # resolved
    raw: bytes
    signature: Identity | None
    digest: str

    def entry(self, episode: Episode) -> _Entry:
        return _Entry(self.signature, self.digest, episode)


class EpisodeCache:
    """Episodes as validated, by file and content; one per run, saved at its end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = code_key(show, fields, yamlfile)
        stored = read_sealed(path, self.key)
        # resolved path -> what was read there last time
        self._old: dict[str, _Entry] = stored if isinstance(stored, dict) else {}
        self._used: dict[str, _Entry] = {}
        self._folders: dict[Path, Path] = {}
        # What each episode loaded was made from, by the object's identity (held, so never
        # reused by another object).
        self._made_from: dict[int, tuple[Episode, str]] = {}
        self.hits = 0

    @classmethod
    def of(cls, settings: Settings) -> EpisodeCache:
        return cls(settings.cache_dir / EPISODES_FILE)

    def load_all(self, paths: Sequence[Path]) -> list[Episode | ValidationError]:
        """The episode in each file (or its problems, never cached): from the cache when the
        file is unchanged; the others are validated together, on every core when there
        are many (`load_episodes`)."""
        found: list[Episode | ValidationError | _Unknown] = []
        for path in paths:
            try:
                found.append(self._look_up(path))
            except ValidationError as e:
                found.append(e)
        unknown = [f for f in found if isinstance(f, _Unknown)]
        loaded = iter(load_episodes([(f.path, f.raw, f.source) for f in unknown]))
        return [self._known(f, next(loaded)) if isinstance(f, _Unknown) else f for f in found]

    def _known(self, unknown: _Unknown, loaded: Episode | list[str]) -> Episode | ValidationError:
        if isinstance(loaded, list):
            return ValidationError(loaded)
        return self._keep(unknown.source, unknown.entry(loaded))

    def _look_up(self, path: Path) -> Episode | _Unknown:
        """The episode in `path` if the cache knows the file, else the file as read."""
        try:
            signature = identity(path)
            # A regular file needs only its folder resolved (once for all); a link, itself.
            source = self._in_folder(path) if signature is not None else path.resolve()
        except OSError:
            return load_episode(path)  # which says what is wrong with the file
        cached = self._old.get(str(source))
        if cached is not None and signature is not None and cached.signature == signature:
            self.hits += 1
            return self._keep(source, cached)
        read_at = time.time_ns()
        try:
            # The checks every input gets (a regular file, inside the project, not too big).
            raw = read_yaml_bytes(path)
        except (OSError, YamlProblem):
            return load_episode(path)
        digest = data_digest(raw)
        signature = settled(signature, read_at)
        if cached is not None and cached.digest == digest:
            self.hits += 1
            return self._keep(source, _Entry(signature, digest, cached.episode))
        return _Unknown(path, source, raw, signature, digest)

    def _keep(self, source: Path, entry: _Entry) -> Episode:
        self._used[str(source)] = entry
        self._made_from[id(entry.episode)] = (entry.episode, f"{source}\0{entry.digest}")
        return entry.episode

    def describe(self, episode: Episode) -> str:
        """A text that changes whenever the validated episode may: what it was made from
        (its file and the digest of its bytes) if this cache loaded it, else its JSON."""
        known = self._made_from.get(id(episode))
        if known and known[0] is episode:
            return f"{self.key}\0{known[1]}"
        return episode.model_dump_json()

    def _in_folder(self, path: Path) -> Path:
        """`path.resolve()` for a file that is not a link, resolving each folder once."""
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name

    def save(self) -> None:
        """Keep this run's episodes (and only them) for the next run, if any changed."""
        if self._used != self._old:
            write_sealed(self.path, self.key, self._used)
