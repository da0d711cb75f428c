"""The import's network work: file sizes looked up with HEAD, images and media fetched.

Lookups run concurrently (a 2,000-episode show on a slow host is thousands of round trips),
each with a timeout and retries on connection errors and 429/5xx answers. A failure is
returned as a message for the report, never raised: one missing file does not stop the move.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from showpipe.http import new_session
from showpipe.storage import ProgressBars

# Lookups wait on the network, not the CPU: many at once (a slow host answers in ~50 ms).
WORKERS = 64
RETRIES = Retry(
    total=3,
    backoff_factor=0.3,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=("HEAD", "GET"),
    raise_on_status=False,
)
IMAGE_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
T = TypeVar("T")
R = TypeVar("R")


def import_session() -> requests.Session:
    """showpipe's session (User-Agent, timeouts), with a connection pool that fits the
    workers, retrying what is worth retrying."""
    session = new_session("import")
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=WORKERS, max_retries=RETRIES)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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


def look_up(session: requests.Session, url: str) -> Lookup:
    """HEAD `url` (following redirects) for its Content-Length."""
    try:
        response = session.head(url, allow_redirects=True)
        length = int(response.headers.get("Content-Length", 0))
    except (requests.RequestException, ValueError) as e:
        return Lookup(url, None, f"{url}: cannot look up its size ({e})")
    if response.status_code != 200 or length <= 1:
        return Lookup(
            url,
            None,
            f"{url}: the old feed gives no length and the server tells none "
            f"(HTTP {response.status_code}); use --download to fetch and measure it",
        )
    return Lookup(url, length)


@dataclass(frozen=True)
class Fetched:
    """A file fetched into the staging folder (its project path), or why not."""

    url: str
    relative: str | None
    problem: str | None = None


def _suffix(url: str, content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    suffix = IMAGE_SUFFIXES.get(kind) or Path(urlsplit(url).path).suffix.lower()
    return suffix or mimetypes.guess_extension(kind) or ""


def fetch(
    session: requests.Session,
    url: str,
    stem: str,
    staging: Path,
    progress: ProgressBars | None = None,
) -> Fetched:
    """GET `url` into `staging/<stem><suffix>`, the suffix from its type or URL."""
    try:
        with session.get(url, stream=True) as response:
            response.raise_for_status()
            relative = stem + _suffix(url, response.headers.get("Content-Type"))
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            total = int(response.headers.get("Content-Length", 0) or 0)
            with target.open("wb") as f:
                if progress is None:
                    f.writelines(response.iter_content(1 << 20))
                else:
                    with progress(relative, total) as advance:
                        for chunk in response.iter_content(1 << 20):
                            f.write(chunk)
                            advance(len(chunk))
    except (requests.RequestException, ValueError, OSError) as e:
        return Fetched(url, None, f"{url}: cannot download ({e})")
    return Fetched(url, relative)
