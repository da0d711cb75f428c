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
showpipe can have written it): the episodes as pickled once (the base) and the entries changed
since, so that a run which changed one episode writes the base's bytes back as they were
instead of pickling thousands of episodes again; once the changes outgrow an eighth of the
base, the next save folds them in. It carries a key of everything else the result depends on
(showpipe's version and the source of the models that validate); another key means an empty
cache. It is a shortcut, never the truth: a missing or damaged file means a cold run, and
deleting it is always safe.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import showpipe.model
from showpipe import __version__, inputfiles, times
from showpipe.config import Settings
from showpipe.digests import data_digest, new_digest
from showpipe.errors import ValidationError
from showpipe.inputfiles import Identity, SeenFile, identity, settled, yaml_names
from showpipe.model import manifest
from showpipe.model.episode import Episode
from showpipe.model.loading import load_episode, load_episodes
from showpipe.model.yamlfile import YamlProblem, read_yaml_bytes
from showpipe.sealed import Layered, Sealing, read_sealed, save_sealed

EPISODES_FILE = "episodes.sealed"
MANIFEST_FILE = "manifest.sealed"


def code_key(*modules: ModuleType) -> str:
    """A digest of showpipe's version and the given modules' source (a package's: every
    module in it): what a cached result was made by. A development checkout changes its code
    without changing its version."""
    digest = new_digest(__version__.encode())
    for module in modules:
        for source in _sources(module):
            digest.update(f"\0{source.name}\0".encode())
            digest.update(source.read_bytes() if source.is_file() else b"")
    return digest.hexdigest()


# What validated episodes and a parsed manifest are made by: the model package (the models,
# their fields and how YAML is read), and the clock times and input files it reads with.
MODEL_CODE = (showpipe.model, times, inputfiles)


def _sources(module: ModuleType) -> list[Path]:
    if hasattr(module, "__path__"):  # a package: a module added to it is covered too
        return sorted(p for folder in module.__path__ for p in Path(folder).rglob("*.py"))
    return [Path(module.__file__ or "")]


@dataclass(frozen=True)
class _Entry:
    signature: Identity | None  # None: read the file next time
    digest: str  # of the YAML bytes
    episode: Episode


@dataclass(frozen=True)
class _Unknown:
    """A file the cache does not know: read, to be validated."""

    path: Path
    source: str  # the resolved path
    raw: bytes
    signature: Identity | None
    digest: str

    def entry(self, episode: Episode) -> _Entry:
        return _Entry(self.signature, self.digest, episode)


class EpisodeCache:
    """Episodes as validated, by file and content; one per run, saved at its end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = code_key(*MODEL_CODE)
        stored = Layered[_Entry].read(path, self.key, read_sealed(path, self.key))
        self._stored = stored or Layered()
        # resolved path -> what was read there last time
        self._old = self._stored.entries
        self._used: dict[str, _Entry] = {}
        # What each episode loaded was made from, by the object's identity (held, so never
        # reused by another object).
        self._made_from: dict[int, tuple[Episode, str]] = {}
        self.hits = 0

    @classmethod
    def of(cls, settings: Settings) -> EpisodeCache:
        return cls(settings.cache_dir / EPISODES_FILE)

    @property
    def empty(self) -> bool:
        """Whether it holds no episode: none kept yet, or kept by other code (a cold run)."""
        return not self._old

    def load_folder(
        self, folder: Path, *, seen: Mapping[str, SeenFile] | None = None
    ) -> tuple[list[Episode], list[str]]:
        """Every episode in `folder` (its `*.yaml` files, in name order), each from the cache
        when its file is unchanged, else loaded; and the problems of the invalid ones. The
        files the cache does not know are validated together, on every core when there are
        many (`load_episodes`). `seen` are the files by name as the run found them just
        before (`feedstate.input_digests`: identities, and the bytes it read), so that no
        file is looked at or read twice.

        Names and text paths, not `Path`s, until a file must be read: building and hashing
        thousands of `Path`s was a tenth of an incremental run's own work.
        """
        real = os.path.realpath(folder)  # once for all its regular files
        known = seen or {}
        found: list[Episode | ValidationError | _Unknown] = []
        for name in yaml_names(folder):
            try:
                found.append(self._look_up(folder, name, real, known))
            except ValidationError as e:
                found.append(e)
        unknown = [f for f in found if isinstance(f, _Unknown)]
        loaded = iter(load_episodes([(f.path, f.raw, Path(f.source)) for f in unknown]))
        episodes: list[Episode] = []
        problems: list[str] = []
        for each in found:
            if isinstance(each, _Unknown):
                each = self._known(each, next(loaded))
            if isinstance(each, ValidationError):
                problems += each.problems
            else:
                episodes.append(each)
        return episodes, problems

    def _known(self, unknown: _Unknown, loaded: Episode | list[str]) -> Episode | ValidationError:
        if isinstance(loaded, list):
            return ValidationError(loaded)
        return self._keep(unknown.source, unknown.entry(loaded))

    def _look_up(
        self, folder: Path, name: str, real: str, known: Mapping[str, SeenFile]
    ) -> Episode | _Unknown:
        """The episode in `folder/name` if the cache knows the file, else the file as read.

        Raises:
            ValidationError: the file cannot be read (never cached)."""
        seen = known.get(name)
        try:
            signature = seen.identity if seen is not None else identity(os.path.join(folder, name))
            # A regular file is in the resolved folder; a link is wherever it points.
            source = os.path.join(real, name) if signature else str((folder / name).resolve())
        except OSError:
            return load_episode(folder / name)  # which says what is wrong with the file
        cached = self._old.get(source)
        if cached is not None and signature is not None and cached.signature == signature:
            self.hits += 1
            return self._keep(source, cached)
        path = folder / name
        if seen is not None and seen.raw is not None:
            raw, read_at = seen.raw, seen.read_at
        else:
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

    def _keep(self, source: str, entry: _Entry) -> Episode:
        self._used[source] = entry
        self._made_from[id(entry.episode)] = (entry.episode, f"{source}\0{entry.digest}")
        return entry.episode

    def describe(self, episode: Episode) -> str:
        """A text that changes whenever the validated episode may: what it was made from
        (its file and the digest of its bytes) if this cache loaded it, else its JSON."""
        known = self._made_from.get(id(episode))
        if known and known[0] is episode:
            return f"{self.key}\0{known[1]}"
        return episode.model_dump_json()

    def save(self) -> None:
        """Keep this run's episodes (and only them) for the next run, if any changed."""
        save_sealed(self.seal)

    def seal(self, sealing: Sealing) -> None:
        """`save`, into `sealing`: written when the run writes it."""
        if self._used != self._old:
            sealing.add(
                self.path, self.key, self._stored.saved(self.path, self.key, self._used, sealing)
            )


class ManifestMemo:
    """The storage's manifest as last parsed and checked, by its version token in the storage
    (`Storage.version`: the digest of its bytes in a folder, the ETag in S3), and the digest
    of each of its episode records.

    Checking a big show's manifest (thousands of records, every key and digest) is repeated
    by every run though the manifest changes only when a run publishes; unpickling the
    result is a fraction of that, and in S3 a HEAD request tells whether it is still the one
    stored, where reading it is a download of megabytes. The records' digests
    (`describe_record`) are part of what each feed item and page is cached under. Only a
    manifest that parsed without a problem is kept, and only once the run has planned its
    feeds (`save`), like the other caches.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = code_key(*MODEL_CODE)
        self._manifest: tuple[str, manifest.Manifest] | None = None
        self._episodes: Layered[manifest.EpisodeRecord] = Layered()
        # GUID -> (the record, its digest): by the record object, which a run keeps as is
        # for every episode it does not publish.
        self._records: dict[str, tuple[manifest.EpisodeRecord, str]] = {}
        self._changed = False

    @classmethod
    def of(cls, settings: Settings) -> ManifestMemo:
        return cls(settings.cache_dir / MANIFEST_FILE)

    def known(self, version: str) -> manifest.Manifest | None:
        """The manifest stored at `version`, if this memo has parsed it; else None."""
        if self._manifest is not None and self._manifest[0] == version:
            return self._manifest[1]  # the run read it already (a re-plan, say)
        kept = read_sealed(self.path, self.key)
        if not (isinstance(kept, tuple) and len(kept) == 5 and kept[0] == version):
            return None  # none kept, or another manifest's
        layers = Layered[manifest.EpisodeRecord].read(self.path, self.key, kept[3])
        if layers is None:  # its records' file is gone
            return None
        _, number, feeds, _, records = kept
        self._episodes = layers
        parsed = manifest.Manifest(number, layers.entries, feeds)
        self._records = {g: (parsed.episodes[g], d) for g, d in records.items()}
        self._manifest = (version, parsed)
        return parsed

    def parse(self, data: bytes, where: str, version: str) -> manifest.Manifest:
        """`manifest.parse_manifest(data, where)` of the manifest stored at `version`, which
        the memo did not know (`known`), remembered for the next run.

        Raises:
            StorageError: as `parse_manifest`.
        """
        parsed = manifest.parse_manifest(data, where)
        self._records, self._changed = {}, True
        self._manifest = (version, parsed)
        return parsed

    def describe_record(self, guid: str, record: manifest.EpisodeRecord) -> str:
        """The digest of an episode's record (`manifest.record_digest`)."""
        known = self._records.get(guid)
        if known is not None and known[0] is record:
            return known[1]
        digest = manifest.record_digest(record)
        self._records[guid] = (record, digest)
        self._changed = True
        return digest

    def stored(self, version: str, written: manifest.Manifest) -> None:
        """Remember `written`, which a run has just stored, now at `version`."""
        self._manifest, self._changed = (version, written), True

    def save(self) -> None:
        save_sealed(self.seal)

    def seal(self, sealing: Sealing) -> None:
        """`save`, into `sealing`: written when the run writes it."""
        if self._manifest is None or not self._changed:
            return
        version, parsed = self._manifest
        records = {g: d for g, (r, d) in self._records.items() if parsed.episodes.get(g) is r}
        episodes = self._episodes.saved(self.path, self.key, parsed.episodes, sealing)
        sealing.add(self.path, self.key, (version, parsed.version, parsed.feeds, episodes, records))
        self._changed = False
