"""One writer at a time: a file lock on this machine, and a lease object in the storage.

Cron's `showpipe feeds` and a manual `showpipe publish` may start together, on one machine or
on two sharing a bucket. On one machine the project's lock file (fcntl, released by the kernel
when a run dies, even by SIGKILL) keeps them apart. Across machines the storage holds a lease,
`showpipe/lease.json`, created with a conditional write (S3 If-None-Match: *), so exactly one
run gets it. A lease left by a killed run is taken over once it has expired, or at once when
it names this machine and a process that no longer exists. A live run renews its lease in the
background while it works, so a long upload never outlasts it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from showpipe.errors import BusyError, ConflictError, StorageError
from showpipe.storage import Storage, caching

LEASE_KEY = "showpipe/lease.json"
LOCK_FILE = "lock"
# How long a killed run's lease keeps others out; a live run renews its lease far sooner.
LEASE_TIME = timedelta(hours=1)
RENEW_EVERY = LEASE_TIME / 4  # three renewals may fail (the network, say) before it lapses


@dataclass(frozen=True)
class Lease:
    """Who holds the storage, for the message the other run shows."""

    host: str
    pid: int
    command: str
    started: str
    expires: str

    def describe(self) -> str:
        return f"showpipe {self.command} (pid {self.pid} on {self.host}, since {self.started})"


@contextmanager
def project_lock(state_dir: Path, command: str) -> Iterator[None]:
    """Hold the project's lock file for a run, or fail at once naming who holds it.

    Raises:
        BusyError: another showpipe run on this machine holds the lock.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another showpipe run"
            raise BusyError(
                f"{path} is held by {holder}; wait for it to finish, then run again"
            ) from None
        f.truncate(0)
        f.write(f"showpipe {command} (pid {os.getpid()})")
        f.flush()
        yield


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(lease: Lease, now: datetime) -> bool:
    if lease.host == socket.gethostname() and not _alive(lease.pid):
        return True
    return datetime.fromisoformat(lease.expires) <= now


def _read(storage: Storage) -> tuple[Lease, str] | None:
    found = storage.get_versioned(LEASE_KEY)
    if found is None:
        return None
    data, version = found
    try:
        return Lease(**json.loads(data)), version
    except (ValueError, TypeError):
        # Unreadable: treat as expired, so a damaged object cannot block publishing forever.
        return Lease("?", 0, "?", "?", datetime.min.isoformat() + "+00:00"), version


def take_lease(storage: Storage, command: str, *, now: datetime) -> Lease:
    """Create the storage's lease, or take over a stale one, with a conditional write.

    Raises:
        ConflictError: another live run holds the lease (or won the race to take it).
    """
    lease = Lease(
        socket.gethostname(), os.getpid(), command, now.isoformat(), (now + LEASE_TIME).isoformat()
    )
    current = _read(storage)
    if current is not None and not _stale(current[0], now):
        raise ConflictError(
            f"the storage is in use by {current[0].describe()}; wait for it to finish, then run "
            f"again (a killed run's lease expires at {current[0].expires})"
        )
    try:
        storage.put_bytes_if(
            LEASE_KEY,
            json.dumps(asdict(lease)).encode(),
            version=current[1] if current else None,
            content_type="application/json",
            cache_control=caching.NEVER,
        )
    except ConflictError as e:
        raise ConflictError(
            "another showpipe run took the storage's lease at the same moment; run again "
            "when it has finished"
        ) from e
    return lease


def renew_lease(storage: Storage, lease: Lease, *, now: datetime) -> Lease:
    """Confirm we still hold the lease and extend it; call before recording anything.

    A run slower than LEASE_TIME may have had its lease taken over by another machine: it
    must then stop before the manifest and feeds, which the other run now owns.

    Raises:
        ConflictError: the lease is gone or held by another run.
    """
    current = _read(storage)
    if current is None or current[0] != lease:
        holder = current[0].describe() if current else "no one"
        raise ConflictError(
            f"this run's lease on the storage expired and is now held by {holder}; nothing "
            "was recorded: run again when it has finished"
        )
    renewed = replace(lease, expires=(now + LEASE_TIME).isoformat())
    storage.put_bytes_if(
        LEASE_KEY,
        json.dumps(asdict(renewed)).encode(),
        version=current[1],
        content_type="application/json",
        cache_control=caching.NEVER,
    )
    return renewed


def release_lease(storage: Storage, lease: Lease) -> None:
    """Remove our lease, unless another run has taken it over meanwhile."""
    current = _read(storage)
    if current is not None and current[0] == lease:
        storage.delete(LEASE_KEY)


class Held:
    """The lease a run holds; `confirm()` renews it, or raises if another run took it."""

    def __init__(self, storage: Storage, lease: Lease) -> None:
        self.storage, self.lease = storage, lease
        self._lock = threading.Lock()
        self._lost: ConflictError | None = None

    def confirm(self) -> None:
        """Renew the lease now.

        Raises:
            ConflictError: the lease was lost, now or at a renewal in the background.
        """
        with self._lock:
            if self._lost is not None:
                raise self._lost
            try:
                self.lease = renew_lease(self.storage, self.lease, now=datetime.now(UTC))
            except ConflictError as e:
                self._lost = e
                raise

    def renew_until(self, stop: threading.Event, every: timedelta) -> None:
        """Renew the lease every `every` until `stop` is set or the lease is lost."""
        while not stop.wait(every.total_seconds()):
            try:
                self.confirm()
            except ConflictError:
                return  # confirm() before recording raises it again
            except StorageError:
                continue  # the lease has time left: the next renewal tries again


@contextmanager
def exclusive(
    state_dir: Path,
    storage: Storage,
    command: str,
    *,
    now: datetime,
    renew_every: timedelta = RENEW_EVERY,
) -> Iterator[Held]:
    """Hold both the project's lock and the storage's lease while writing, renewing the
    lease in the background."""
    with project_lock(state_dir, command):
        held = Held(storage, take_lease(storage, command, now=now))
        stop = threading.Event()
        renewer = threading.Thread(
            target=held.renew_until, args=(stop, renew_every), name="lease", daemon=True
        )
        renewer.start()
        try:
            yield held
        finally:
            stop.set()
            renewer.join()
            release_lease(storage, held.lease)
