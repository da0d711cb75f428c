"""The import's network work: file sizes looked up with HEAD, images and media fetched.

Lookups run concurrently (a 2,000-episode show on a slow host is thousands of round trips),
each with a timeout and retries on connection errors and 429/5xx answers. A failure is
returned as a message for the report, never raised: one missing file does not stop the move.
"""

from __future__ import annotations

import mimetypes
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH, select_proxy
from urllib3.util.retry import Retry

from showpipe import http
from showpipe.digests import stream_digests
from showpipe.storage import ProgressBars, no_progress

# Lookups wait on the network, not the CPU: many at once (a slow host answers in ~50 ms).
WORKERS = 64
RETRIES = Retry(
    total=3,
    backoff_factor=0.3,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=("HEAD", "GET"),
    raise_on_status=False,
)
# urllib3 counts redirects against `total` (requests follows them itself): the Client's
# budget keeps three tries per kind of failure and lets a chain of tracking redirects
# (prefix -> analytics -> CDN) through, as requests' limit of 30 does.
CLIENT_RETRIES = RETRIES.new(total=None, connect=3, read=3, status=3, other=3, redirect=30)
IMAGE_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
T = TypeVar("T")
R = TypeVar("R")


def import_session() -> requests.Session:
    """showpipe's session (User-Agent, timeouts), retrying what is worth retrying: it
    fetches the feed, and gives the Client its User-Agent and environment."""
    session = http.new_session("import")
    adapter = HTTPAdapter(max_retries=RETRIES)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Client:
    """The import's client for its thousands of lookups and downloads: urllib3's pools
    used directly, with the session's User-Agent, proxies and CA bundle.

    A request through a requests session costs about twice the CPU of the same request
    through urllib3 (preparing, merging settings, hooks, cookies); with 64 workers that
    CPU, not the network, set the pace of a big import (docs/import.md, "The network").
    """

    def __init__(self, session: requests.Session) -> None:
        self._session = session
        # The session's own headers (User-Agent, Accept, Accept-Encoding), as requests sends.
        self._headers = {k: str(v) for k, v in session.headers.items()}
        self._pools: dict[tuple[str | None, str], urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str) -> urllib3.BaseHTTPResponse:
        """`method` on `url`, following redirects, retried as RETRIES says; a GET's body
        is streamed (read it, then `release_conn`).

        Raises:
            urllib3.exceptions.HTTPError: no answer, even after the retries.
        """
        return self._pool(url).request(
            method, url, headers=self._headers, preload_content=method == "HEAD"
        )

    def _pool(self, url: str) -> urllib3.PoolManager:
        """The pools for `url`'s proxy (from the environment, as requests reads it)."""
        settings = self._session.merge_environment_settings(url, {}, None, True, None)
        proxy = select_proxy(url, settings["proxies"])
        verify = settings["verify"]
        ca_certs = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
        with self._lock:
            pool = self._pools.get((proxy, ca_certs))
            if pool is None:
                options: dict[str, Any] = {
                    "num_pools": 8,
                    "maxsize": WORKERS,
                    "retries": CLIENT_RETRIES,
                    "timeout": urllib3.Timeout(connect=http.TIMEOUT[0], read=http.TIMEOUT[1]),
                    # A bundle file, or a folder of certificates (as requests accepts).
                    "ca_cert_dir" if os.path.isdir(ca_certs) else "ca_certs": ca_certs,
                }
                pool = (
                    urllib3.ProxyManager(proxy, **options)
                    if proxy
                    else urllib3.PoolManager(**options)
                )
                self._pools[(proxy, ca_certs)] = pool
        return pool

    def close(self) -> None:
        for pool in self._pools.values():
            pool.clear()


def run_all(
    work: Callable[[T], R], items: Iterable[T], *, label: str, progress: ProgressBars
) -> list[R]:
    """`work` on every item on the worker threads, with one progress bar; results in order."""
    todo = list(items)
    if not todo:
        return []
    with progress(label, len(todo)) as advance, ThreadPoolExecutor(WORKERS) as pool:

        def step(item: T) -> R:
            result = work(item)
            advance(1)
            return result

        return list(pool.map(step, todo))


@dataclass(frozen=True)
class Lookup:
    """A file's size as its server tells it, or why it could not be found out."""

    url: str
    length: int | None
    problem: str | None = None


def look_up(client: Client, url: str) -> Lookup:
    """HEAD `url` (following redirects) for its Content-Length."""
    try:
        response = client.request("HEAD", url)
        length = int(response.headers.get("Content-Length", 0))
    except (urllib3.exceptions.HTTPError, ValueError) as e:
        return Lookup(url, None, f"{url}: cannot look up its size ({e})")
    if response.status != 200 or length <= 1:
        return Lookup(
            url,
            None,
            f"{url}: the old feed gives no length and the server tells none "
            f"(HTTP {response.status}); use --download to fetch and measure it",
        )
    return Lookup(url, length)


@dataclass(frozen=True)
class Fetched:
    """A file fetched into the staging folder (its project path and `file_digests`), or
    why not."""

    url: str
    relative: str | None
    problem: str | None = None
    digests: tuple[str, str] | None = None


def _suffix(url: str, content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    suffix = IMAGE_SUFFIXES.get(kind) or Path(urlsplit(url).path).suffix.lower()
    return suffix or mimetypes.guess_extension(kind) or ""


def fetch(
    client: Client,
    url: str,
    stem: str,
    staging: Path,
    progress: ProgressBars | None = None,
) -> Fetched:
    """GET `url` into `staging/<stem><suffix>`, the suffix from its type or URL, hashing
    it as it arrives (publishing needs its digests; this spares reading it again)."""
    try:
        response = client.request("GET", url)
    except (urllib3.exceptions.HTTPError, ValueError) as e:
        return Fetched(url, None, f"{url}: cannot download ({e})")
    try:
        if response.status >= 400:
            response.drain_conn()  # so that the connection can serve the next request
            return Fetched(url, None, f"{url}: cannot download (HTTP {response.status})")
        relative = stem + _suffix(url, response.headers.get("Content-Type"))
        digests = _save(response, staging / relative, relative, progress)
    except (urllib3.exceptions.HTTPError, ValueError, OSError) as e:
        response.close()  # the rest of the body is unread: the connection cannot be reused
        return Fetched(url, None, f"{url}: cannot download ({e})")
    finally:
        response.release_conn()
    return Fetched(url, relative, digests=digests)


def _save(
    response: urllib3.BaseHTTPResponse,
    target: Path,
    label: str,
    progress: ProgressBars | None,
) -> tuple[str, str]:
    """Write the response's body to `target`; returns its `file_digests`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    total = int(response.headers.get("Content-Length", 0) or 0)
    with target.open("wb") as f, (progress or no_progress)(label, total) as advance:

        def written() -> Iterator[bytes]:
            for chunk in response.stream(1 << 20):
                f.write(chunk)
                advance(len(chunk))
                yield chunk

        return stream_digests(written())
