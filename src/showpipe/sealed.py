"""Cache files: written atomically, and pickles only this user's showpipe can have written.

Unpickling thousands of validated episodes is several times faster than validating them
again, but a pickle runs code as it loads, and `.showpipe/` is inside a project folder that
may have come from anywhere (a clone, an archive). So each file is sealed with a MAC (keyed
BLAKE3) under a key kept outside every project, in the user's own cache folder and readable by
the user only (`~/.cache/showpipe/cache.key`, or under `$XDG_CACHE_HOME`). A file that was not
sealed with that key (copied from another machine, edited, damaged) is never unpickled: it
reads as no cache. Where the key cannot be kept (a read-only home), nothing is cached.
"""

from __future__ import annotations

import copyreg
import gc
import hmac
import io
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PosixPath
from typing import Any, Generic, TypeVar

from blake3 import blake3

from showpipe.digests import data_digest

V = TypeVar("V")

_MAGIC = b"showpipe-sealed-4\n"  # 4: sealed with keyed BLAKE3; 3 was HMAC-SHA-256
_KEY_BYTES = 32
_SEAL_BYTES = 32  # BLAKE3's default output


def key_path() -> Path:
    """Where the user's sealing key lives."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "showpipe" / "cache.key"


def _key() -> bytes | None:
    path = key_path()
    try:
        key = path.read_bytes()
        if len(key) == _KEY_BYTES:
            return key
    except OSError:
        pass
    try:  # the first run on this account: make one, readable by the user only
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(_KEY_BYTES))
    except FileExistsError:
        pass  # another run made it meanwhile
    except OSError:
        return None
    try:
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == _KEY_BYTES else None


def _seal(key: bytes, payload: bytes | memoryview) -> bytes:
    # BLAKE3's keyed mode, a MAC: a third of the time of HMAC-SHA-256 even with the processor's
    # SHA instructions (5 against 17 ms for 20 MB), and a `publish` on a big show checks and
    # seals some 25 MB of caches.
    return blake3(payload, key=key).digest()


def read_sealed(path: Path, key: str) -> Any:
    """What `write_sealed(path, key, value)` wrote; None when the file is missing, damaged,
    not sealed by us, or written under another `key` (other code: another version of it)."""
    secret = _key()
    if secret is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    start = len(_MAGIC) + _SEAL_BYTES
    if not data.startswith(_MAGIC) or len(data) < start:
        return None
    payload = memoryview(data)[start:]
    if not hmac.compare_digest(data[len(_MAGIC) : start], _seal(secret, payload)):
        return None
    # The key leads the payload, so that what other code kept is never unpickled at all.
    written_under = key.encode() + b"\n"
    if not payload[: len(written_under)] == written_under:
        return None
    try:
        return _unpickle(payload[len(written_under) :])
    except Exception:  # sealed by us, yet unreadable (another Python): no cache
        return None


# Whether what a cache holds is frozen out of the garbage collector's reach once unpickled
# (`gc.freeze`). That is process-wide and for good (garbage frozen is never collected), so the
# program decides: the CLI, whose process ends with its run, turns it on.
FREEZE_LOADED = False


def _unpickle(data: bytes | memoryview) -> Any:
    """`pickle.loads`, with the garbage collector paused; then, with `FREEZE_LOADED`, every
    object so far frozen: the tens of thousands of objects a cache holds live as long as the
    run, and the collector would only walk them again (about 3% of a `check`'s instructions
    on a 5,000-episode show, counted with callgrind)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if FREEZE_LOADED:
            gc.freeze()
        if paused:
            gc.enable()


# Python 3.11's pathlib parses the text of every path it makes, about 2 µs a path: a third of
# the time to load a big show's cached episodes. Later versions parse lazily.
_PARSES_EAGERLY = sys.version_info[:2] == (3, 11)


def path_from_text(text: str) -> PosixPath:
    """`PosixPath(text)` for the text of a path (`str(path)`).

    A path's own text is in normal form, so its parts are the pieces between its slashes,
    which 3.11's pathlib need not parse again; the rare forms that are not (".", a leading
    "//") are parsed as usual.
    """
    if not _PARSES_EAGERLY or text == "." or text.startswith("//"):
        return PosixPath(text)
    make = PosixPath._from_parsed_parts  # type: ignore[attr-defined]
    if text.startswith("/"):
        path = make("", "/", ["/", *text[1:].split("/")] if text != "/" else ["/"])
    else:
        path = make("", "", text.split("/"))
    path._str = text  # what `str(path)` would join again from the parts
    return path  # type: ignore[no-any-return]


def _reduce_path(path: PosixPath) -> tuple[Any, tuple[str]]:
    return path_from_text, (str(path),)


# Paths pickled as their text, rebuilt by `path_from_text`: faster than pathlib's own
# pickling, which rebuilds a path from its parts by parsing them again. A dispatch table is
# consulted for paths only, where a `reducer_override` would be called for every object.
_DISPATCH = {**copyreg.dispatch_table, PosixPath: _reduce_path}


def _payload(key: str, value: Any) -> bytes:
    """What is sealed: `key` on a line of its own, then `value` pickled."""
    data = io.BytesIO(key.encode() + b"\n")
    data.seek(0, io.SEEK_END)
    pickler = pickle.Pickler(data, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return data.getvalue()


# Changed entries kept beside a base before they are folded into it: at least this many, or
# an eighth of the base.
FOLD_AT_LEAST = 64


@dataclass(frozen=True)
class Layered(Generic[V]):
    """A big dict kept as its entries pickled once (the base, a sealed file of its own) and,
    in the cache's own file, the name of the base and the entries changed since.

    A run that changes a few entries of thousands writes only its changes: the base file
    is neither pickled, sealed nor written again. Once the changes outgrow an eighth of the
    base (and `FOLD_AT_LEAST`), the next save folds them all into a new base. Entries are
    compared with the base's by identity: an entry the run took from it unchanged is the
    very object. A base is named by its digest, so a cache file never names another one.
    """

    base: str = ""  # the base's file name, beside the cache's own file
    in_base: dict[str, V] = field(default_factory=dict)
    entries: dict[str, V] = field(default_factory=dict)

    @classmethod
    def read(cls, cache: Path, key: str, saved: Any) -> Layered[V] | None:
        """What `saved(cache, key, …)` returned and the cache file `cache` sealed, with its
        base; None when anything is missing or damaged (a base deleted, say): then nothing
        is known, which is not the same as knowing there are no entries."""
        try:
            base, changes = saved
            in_base = read_sealed(cache.with_name(base), key) if _is_base(cache, base) else None
            if not isinstance(in_base, dict):
                return None
            entries = {**in_base, **changes}
            return cls(base, in_base, {k: v for k, v in entries.items() if v is not None})
        except (TypeError, ValueError):  # not this layout
            return None

    def saved(
        self, cache: Path, key: str, entries: dict[str, V], sealing: Sealing
    ) -> tuple[str, dict[str, V | None]]:
        """What to seal into `cache` for `entries`; a new base, if due, goes into `sealing`
        (written before the cache file that names it)."""
        changes: dict[str, V | None] = {k: None for k in self.in_base if k not in entries}
        changes |= {k: v for k, v in entries.items() if self.in_base.get(k) is not v}
        if self.base and len(changes) <= max(FOLD_AT_LEAST, len(self.in_base) // 8):
            return self.base, changes
        payload = _payload(key, entries)
        base = f"{cache.stem}.{data_digest(payload)[:16]}.base"
        sealing.add_payload(cache.with_name(base), payload)
        # Folded into the new base: removed once it and the cache file naming it are written.
        sealing.remove(
            [old for old in cache.parent.glob(f"{cache.stem}.*.base") if old.name != base]
        )
        return base, {}


def _is_base(cache: Path, name: Any) -> bool:
    return isinstance(name, str) and name.startswith(f"{cache.stem}.") and "/" not in name


@dataclass
class Sealing:
    """Cache files pickled and sealed now, written later (`write`), in the order added.

    Pickling a big show's caches is a tenth of a second or more: a run does it while other
    cores still read its feeds back, and writes the files only once they read back right.
    """

    files: list[tuple[Path, bytes]] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)  # removed after the files are written

    def add(self, path: Path, key: str, value: Any) -> None:
        """Seal `value` for `path` under `key` (what made it); without a secret, nothing."""
        self.add_payload(path, _payload(key, value))

    def add_payload(self, path: Path, payload: bytes) -> None:
        secret = _key()
        if secret is not None:
            self.files.append((path, _MAGIC + _seal(secret, payload) + payload))

    def remove(self, paths: list[Path]) -> None:
        """Remove `paths` once the files are written (bases a new one replaces)."""
        self.stale += paths

    def write(self) -> None:
        for path, data in self.files:
            replace_file(path, data)
        for path in self.stale:
            path.unlink(missing_ok=True)


def save_sealed(seal: Callable[[Sealing], None]) -> None:
    """Seal what `seal` adds to a `Sealing`, and write it at once."""
    sealing = Sealing()
    seal(sealing)
    sealing.write()


def write_sealed(path: Path, key: str, value: Any) -> None:
    """Seal `value` into `path` under `key` (what made it); without a secret, write nothing."""
    save_sealed(lambda sealing: sealing.add(path, key, value))


def replace_file(path: Path, data: bytes) -> None:
    """Replace a cache file: a run killed meanwhile leaves the old file, the new one or none,
    never a mix (a reader then finds no cache).

    The old file is removed before the new one takes its name. Renaming over a file makes
    ext4 start writing the new one out at once (its `auto_da_alloc` guard for programs that
    do not sync): the 7 MB of caches a `publish` on a big show saves took 4 to 10 ms to
    replace, 3 ms this way. A cache needs no such guard: one torn by a crash fails its seal
    or does not parse, and reads as none.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        path.unlink(missing_ok=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_json(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the cache file `path` with `data` as compact JSON (`replace_file`): compact, so
    that json's C encoder writes it (an indent means its pure-Python one)."""
    replace_file(path, json.dumps(data, sort_keys=True).encode())
