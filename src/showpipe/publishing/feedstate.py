"""Knowing, without loading the project, that `showpipe feeds` would change nothing.

Cron runs `showpipe feeds` every few minutes; loading and validating thousands of episode
files each time would take seconds for nothing. After each full run we record a fingerprint
of every input (the YAML bytes, the feed artwork, the manifest's version in the storage, the
settings, showpipe's version), the span of time in which the set of due episodes stays the
same, and the hash of each feed as written. A later run whose fingerprint, clock and stored
feeds all match has nothing to do. The storage is asked for the manifest's version and the
feeds' digests, not their bytes: in S3, a HEAD request each instead of downloading megabytes
every few minutes. The record lives in the local build cache: it is a shortcut, never the
truth.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from showpipe import __version__
from showpipe.config import Settings
from showpipe.digests import data_digest, new_digest
from showpipe.inputfiles import (
    MAX_IMAGE_BYTES,
    MAX_YAML_BYTES,
    SeenFile,
    UnsafeFile,
    identity,
    read_file,
    settled,
    yaml_files,
    yaml_names,
)
from showpipe.model.yamlfile import parse_yaml_fast
from showpipe.sealed import save_json
from showpipe.storage import MANIFEST_KEY, Storage

STATE_FILE = "feeds-state.json"
DIGESTS_FILE = "input-digests.json"


@dataclass(frozen=True)
class FeedsState:
    """What the last full `showpipe feeds` saw and wrote."""

    fingerprint: str
    # The set of due episodes is the same for any clock in [due_from, due_until).
    due_from: str | None
    due_until: str | None
    feeds: Mapping[str, str]  # storage key -> digest of the feed's bytes

    def covers(self, now: datetime) -> bool:
        after_start = self.due_from is None or datetime.fromisoformat(self.due_from) <= now
        return after_start and (
            self.due_until is None or now < datetime.fromisoformat(self.due_until)
        )


@dataclass(frozen=True)
class Inputs:
    """The digest of each input a feed is built from, by name (`input_digests`), and the
    identities of the files read, to keep once the run has succeeded (`keep_identities`)."""

    digests: dict[str, str]
    identities: dict[str, list[Any]] = field(default_factory=dict, compare=False)
    changed: bool = field(default=False, compare=False)
    # Each episode file as found (by file name), for the episode cache to use instead of
    # looking at every file again: its identity, and its bytes if they were read.
    episodes: dict[str, SeenFile] = field(default_factory=dict, compare=False)
    # Whether an earlier run's record of the files was found. Without one (the project's
    # first run here, or its caches removed) every file was read, and nothing is cached.
    remembered: bool = field(default=False, compare=False)


def input_digests(settings: Settings, storage: Storage | None) -> Inputs:
    """The digest of each input a feed is built from (YAML, feed artwork; the version token
    of the manifest in `storage`), by name. Without a storage the manifest is left out, for
    a run that records the version its plan read (`feeds_recorder`).

    Kept by name, so that a run can put in the digests of the files it wrote itself
    (`feeds_recorder`) without reading again what someone else may have changed meanwhile.
    An episode file or artwork whose identity (`inputfiles.identity`) is the one kept with
    its digest by an earlier run is not read again. Nothing is written here.
    """
    known = _known_digests(settings)
    seen: dict[str, list[Any]] = {}

    def digest_of(path: str | Path, name: str, limit: int) -> tuple[str, SeenFile]:
        """The file's digest, and the file as found (its bytes too, if read)."""
        try:
            found = identity(path)
        except OSError:
            found = None
        entry = known.get(name)
        if found is not None and entry is not None and tuple(entry[:4]) == found:
            seen[name] = entry
            return str(entry[4]), SeenFile(found)
        read_at = time.time_ns()
        raw, digest = _read(Path(path), settings.root, limit)
        if (trusted := settled(found, read_at)) is not None:
            seen[name] = [*trusted, digest]
        return digest, SeenFile(found, raw, read_at)

    found: dict[str, str] = {}
    artwork: list[Path] = []
    for path in yaml_files(settings.feeds_dir):  # a handful, read for the artwork they name
        raw, found[input_name(path)] = _read(path, settings.root, MAX_YAML_BYTES)
        artwork += _feed_artwork(path, raw)
    episodes, files = settings.episodes_dir, {}
    for name in yaml_names(episodes):  # thousands: names and text paths, not `Path`s
        named = f"{episodes.name}/{name}"
        text_path = os.path.join(episodes, name)
        found[named], files[name] = digest_of(text_path, named, MAX_YAML_BYTES)
    for art in artwork:
        # Present on a publishing machine (measured then), absent on cron's (the manifest's).
        name = f"artwork:{art}"
        found[name] = digest_of(art, name, MAX_IMAGE_BYTES)[0]
    if storage is not None:
        # Its version, not its bytes: in S3 a HEAD request, where reading it is a download of
        # megabytes on a big show, on every cron run.
        found[MANIFEST_KEY] = storage.version(MANIFEST_KEY) or ""
    return Inputs(found, seen, changed=seen != known, episodes=files, remembered=bool(known))


def keep_identities(settings: Settings, inputs: Inputs) -> None:
    """Keep the identities `input_digests` read, for the next run: after a run succeeded, so
    that a refused run changes nothing in the project, its cache included."""
    if inputs.changed:
        save_json(settings.cache_dir / DIGESTS_FILE, inputs.identities)


def _known_digests(settings: Settings) -> dict[str, list[Any]]:
    """The identities and digests recorded last time; a damaged entry is left out (read)."""
    try:
        data = json.loads((settings.cache_dir / DIGESTS_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        name: entry
        for name, entry in data.items()
        if isinstance(entry, list)
        and len(entry) == 5
        and all(isinstance(n, int) for n in entry[:4])
        and isinstance(entry[4], str)
    }


def input_name(yaml_file: Path) -> str:
    """How `input_digests` names a YAML file: its folder (feeds or episodes) and its name."""
    return f"{yaml_file.parent.name}/{yaml_file.name}"


def fingerprint(settings: Settings, digests: Mapping[str, str]) -> str:
    """One hash of the inputs' digests, the settings that shape a feed and showpipe's version."""
    digest = new_digest()
    for part in (__version__, settings.public_url, settings.storage):
        digest.update(part.encode() + b"\0")
    for name in sorted(digests):
        digest.update(f"{name}\0{digests[name]}\0".encode())
    return digest.hexdigest()


def _read(path: Path, root: Path, limit: int) -> tuple[bytes | None, str]:
    """A file's bytes, read as every input is (`inputfiles`), and their digest; or None and
    the digest of why it may not be read: such a file makes the full run, which reports it,
    never a hang or a crash."""
    try:
        raw = read_file(path, root=root, limit=limit)
    except UnsafeFile as e:
        return None, data_digest(f"\0unreadable: {e.problem}".encode())
    return raw, data_digest(raw)


def _feed_artwork(path: Path, raw: bytes | None) -> list[Path]:
    """The artwork file a feed's YAML (read as `raw`; None: unreadable) names; none when it
    cannot be read, since its bytes are in the fingerprint anyway."""
    parsed = parse_yaml_fast(raw) if raw is not None else None
    artwork = (parsed or {}).get("artwork")
    return [path.parent / artwork] if isinstance(artwork, str) else []


def due_window(published: Iterable[datetime], now: datetime) -> tuple[str | None, str | None]:
    """The span around `now` in which no episode's publication time falls."""
    times = list(published)
    past = [t for t in times if t <= now]
    future = [t for t in times if t > now]
    return (
        max(past).isoformat() if past else None,
        min(future).isoformat() if future else None,
    )


def _path(settings: Settings) -> Path:
    return settings.cache_dir / STATE_FILE


def load_state(settings: Settings) -> FeedsState | None:
    try:
        data = json.loads(_path(settings).read_text(encoding="utf-8"))
        return FeedsState(**data)
    except (OSError, ValueError, TypeError):
        return None  # no record, or a damaged one: do the full run


def save_state(settings: Settings, state: FeedsState) -> None:
    save_json(_path(settings), asdict(state))


def nothing_to_do(settings: Settings, storage: Storage, inputs: Inputs, now: datetime) -> bool:
    """True when the last recorded run saw these very inputs (`input_digests`) and its feeds
    are still stored."""
    state = load_state(settings)
    if state is None or not state.covers(now):
        return False
    if state.fingerprint != fingerprint(settings, inputs.digests):
        return False
    return all(_stored_digest(storage, key) == digest for key, digest in state.feeds.items())


def _stored_digest(storage: Storage, key: str) -> str | None:
    """The digest of an object's bytes: as stored with it (in S3 a HEAD request, where
    reading a big show's feed is a download of megabytes on every cron run), else read."""
    info = storage.stat(key)
    if info is None:
        return None
    if info.digest is not None:
        return info.digest
    data = storage.get(key)  # stored by an older showpipe, or by hand: no digest with it
    return data_digest(data) if data is not None else None
