"""`showpipe doctor` and `showpipe storage cors`: make a storage target ready for podcast apps.

The public checks go through the public base URL with plain HTTP, as a podcast app or a web
player would, so they catch a private bucket, a CDN that ignores Range, or missing CORS rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import requests

from showpipe.config import Settings
from showpipe.errors import StorageError
from showpipe.storage import Check, Storage, caching

PROBE_FOLDER = "showpipe"
# Any page a web player could live on; a rule for "*" or this origin passes.
TEST_ORIGIN = "https://player.example"
TIMEOUT = 10

PUBLIC_FIX = (
    "make the objects publicly readable (a bucket policy allowing s3:GetObject on the prefix, "
    "or the provider's public bucket or custom domain) and set public_url "
    "(--public-url, SHOWPIPE_PUBLIC_URL) to the URL that serves the storage's root"
)
RANGE_FIX = "serve the files through a host or CDN that answers Range requests with 206"
CORS_FIX = "run `showpipe storage cors` to let web players fetch media, chapters and transcripts"


def run_doctor(settings: Settings, storage: Storage, *, probe_id: str) -> list[Check]:
    """Check a storage target: backend preflight, write, public read, Range, CORS, delete.

    Stops at the first failure that makes the later checks meaningless; the probe object is
    always deleted again.
    """
    checks = storage.preflight()
    if not all(check.ok for check in checks):
        return checks
    key = f"{PROBE_FOLDER}/doctor-{probe_id}.txt"
    body = f"showpipe doctor probe {probe_id}\n".encode()
    try:
        storage.put_bytes(key, body, content_type="text/plain", cache_control=caching.NEVER)
    except StorageError as e:
        fix = "allow writing objects under the prefix (s3:PutObject) to these credentials"
        return [*checks, Check("write", False, str(e), fix)]
    checks.append(Check("write", True, f"wrote the probe object {key}"))
    checks += _http_checks(settings.public_url + key, body)
    checks += _bucket_cors(storage)
    try:
        storage.delete(key)
        checks.append(Check("delete", True, f"deleted {key}"))
    except StorageError as e:
        fix = f"allow deleting objects (s3:DeleteObject), then remove {key} by hand"
        checks.append(Check("delete", False, str(e), fix))
    return checks


def _bucket_cors(storage: Storage) -> list[Check]:
    """A bucket's own CORS rules, which a preflight through a CDN may not reveal."""
    from showpipe.storage.s3 import S3Storage

    if not isinstance(storage, S3Storage):
        return []
    try:
        allowed = storage.cors_allows(TEST_ORIGIN)
    except StorageError as e:
        return [Check("bucket cors", False, str(e), CORS_FIX)]
    if not allowed:
        detail = f"no CORS rule of the bucket lets a page on {TEST_ORIGIN} GET objects"
        return [Check("bucket cors", False, detail, CORS_FIX)]
    return [Check("bucket cors", True, "GET allowed from any page")]


def _http_checks(url: str, body: bytes) -> list[Check]:
    """Public read, Range and CORS of the probe object, through its public URL."""
    try:
        response = requests.get(url, timeout=TIMEOUT)
    except requests.RequestException as e:
        return [Check("public read", False, f"{url}: {type(e).__name__}", PUBLIC_FIX)]
    if response.status_code != 200 or response.content != body:
        detail = f"{url} answered {response.status_code}, not the probe's bytes"
        return [Check("public read", False, detail, PUBLIC_FIX)]
    checks = [Check("public read", True, url)]
    checks.append(_check(url, "range", _range_answered, RANGE_FIX, body=body))
    checks.append(_check(url, "cors", _cors_answered, CORS_FIX, body=body))
    return checks


def _check(
    url: str, name: str, test: Callable[[str, bytes], str | None], fix: str, *, body: bytes
) -> Check:
    try:
        problem = test(url, body)
    except requests.RequestException as e:
        problem = f"{url}: {type(e).__name__}"
    return Check(name, problem is None, problem or "ok", fix)


def _range_answered(url: str, body: bytes) -> str | None:
    response = requests.get(url, headers={"Range": "bytes=1-4"}, timeout=TIMEOUT)
    if response.status_code != 206 or response.content != body[1:5]:
        return f"a Range request got {response.status_code}, not 206 with the 4 bytes asked for"
    return None


def _cors_answered(url: str, body: bytes) -> str | None:
    headers = {"Origin": TEST_ORIGIN, "Access-Control-Request-Method": "GET"}
    preflight = requests.options(url, headers=headers, timeout=TIMEOUT)
    allowed = preflight.headers.get("Access-Control-Allow-Origin")
    # Browsers drop a preflight that is not 2xx, whatever headers it carries.
    if not preflight.ok or allowed not in ("*", TEST_ORIGIN):
        return f"a web page on {TEST_ORIGIN} may not fetch it (no CORS rule allows it)"
    return None


def set_cors(storage: Storage, origins: Sequence[str], *, dry_run: bool) -> dict[str, Any]:
    """Set the bucket's CORS rules so web players on `origins` can fetch (and seek) files.

    Raises:
        StorageError: the storage is not a bucket, or the rules could not be set.
    """
    from showpipe.storage.s3 import CORS_RULE, S3Storage

    if not isinstance(storage, S3Storage):
        raise StorageError(
            f"{storage.describe()} is a local folder: CORS rules belong to the web server "
            "(`showpipe serve` already sends them)"
        )
    if dry_run:
        return {"CORSRules": [{**CORS_RULE, "AllowedOrigins": list(origins)}]}
    return storage.set_cors(origins)
