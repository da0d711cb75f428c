"""`showpipe doctor` and `showpipe storage cors`: make a storage target ready for podcast apps.

The public checks go through the public base URL with plain HTTP, as a podcast app or a web
player would, so they catch a private bucket, a CDN that ignores Range, or missing CORS rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from showpipe.config import Settings
from showpipe.errors import NotReadyError, StorageError
from showpipe.http import new_session
from showpipe.storage import Storage, bucket_of, caching

PROBE_FOLDER = "showpipe"
# Any page a web player could live on; a rule for "*" or this origin passes.
TEST_ORIGIN = "https://player.example"

PUBLIC_FIX = (
    "make the objects publicly readable (a bucket policy allowing s3:GetObject on the prefix, "
    "or the provider's public bucket or custom domain) and set public_url "
    "(--public-url, SHOWPIPE_PUBLIC_URL) to the URL that serves the storage's root"
)
RANGE_FIX = "serve the files through a host or CDN that answers Range requests with 206"
CORS_FIX = "run `showpipe storage cors` to let web players fetch media, chapters and transcripts"
# When the bucket's own rules allow the page, `storage cors` cannot help: something between
# the page and the rules refuses the preflight.
CORS_ALLOWED_FIX = (
    "the bucket's CORS rules already allow this page, so `showpipe storage cors` will not "
    "change this: let anonymous OPTIONS requests through where they are refused: the CDN or "
    "proxy serving public_url, or the bucket policy (some S3-compatible servers check it for "
    "preflights too)"
)


@dataclass(frozen=True)
class Check:
    """The outcome of one `showpipe doctor` check; `fix` says what to do when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _readiness(storage: Storage) -> list[Check]:
    """The storage's own steps (credentials and bucket, or a writable folder)."""
    try:
        return [Check(step, True, detail) for step, detail in storage.preflight()]
    except NotReadyError as e:
        passed = [Check(step, True, detail) for step, detail in e.passed]
        return [*passed, Check(e.step, False, e.problem, e.fix)]


def run_doctor(settings: Settings, storage: Storage, *, probe_id: str) -> list[Check]:
    """Check a storage target: backend preflight, write, public read, Range, CORS, delete.

    Stops at the first failure that makes the later checks meaningless; the probe object is
    always deleted again.
    """
    checks = _readiness(storage)
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
    bucket_cors = _bucket_cors(storage)
    cors_fix = CORS_ALLOWED_FIX if bucket_cors and bucket_cors[0].ok else CORS_FIX
    checks += _http_checks(
        settings.public_url + key, body, public_fix=_public_fix(storage), cors_fix=cors_fix
    )
    checks += bucket_cors
    try:
        storage.delete(key)
        checks.append(Check("delete", True, f"deleted {key}"))
    except StorageError as e:
        fix = f"allow deleting objects (s3:DeleteObject), then remove {key} by hand"
        checks.append(Check("delete", False, str(e), fix))
    return checks


def _bucket_cors(storage: Storage) -> list[Check]:
    """A bucket's own CORS rules, which a preflight through a CDN may not reveal."""
    try:
        allowed = storage.cors_allows(TEST_ORIGIN)
    except StorageError as e:
        return [Check("bucket cors", False, str(e), CORS_FIX)]
    if allowed is None:
        return []  # no rules of its own: the HTTP checks above are the whole story
    if not allowed:
        detail = f"no CORS rule of the bucket lets a page on {TEST_ORIGIN} GET objects"
        return [Check("bucket cors", False, detail, CORS_FIX)]
    return [Check("bucket cors", True, "GET allowed from any page")]


def _public_fix(storage: Storage) -> str:
    """PUBLIC_FIX, with the bucket policy that makes this bucket's prefix public."""
    found = storage.public_read_policy()
    if found is None:
        return PUBLIC_FIX
    policy = json.dumps(found, indent=2)
    return f"{PUBLIC_FIX}. This bucket policy does it (`showpipe storage setup` sets it):\n{policy}"


def _http_checks(url: str, body: bytes, *, public_fix: str, cors_fix: str) -> list[Check]:
    """Public read, Range and CORS of the probe object, through its public URL."""
    with new_session("doctor") as session:
        try:
            response = session.get(url)
        except requests.RequestException as e:
            return [Check("public read", False, f"{url}: {type(e).__name__}", public_fix)]
        if response.status_code != 200 or response.content != body:
            detail = f"{url} answered {response.status_code}, not the probe's bytes"
            return [Check("public read", False, detail, public_fix)]
        probe = _Probe(session, url, body)
        return [
            Check("public read", True, url),
            probe.check("range", _range_answered, RANGE_FIX),
            probe.check("cors", _cors_answered, cors_fix),
        ]


@dataclass(frozen=True)
class _Probe:
    """The probe object as a podcast app or web page reaches it."""

    session: requests.Session
    url: str
    body: bytes

    def check(self, name: str, test: Callable[[_Probe], str | None], fix: str) -> Check:
        try:
            problem = test(self)
        except requests.RequestException as e:
            problem = f"{self.url}: {type(e).__name__}"
        return Check(name, problem is None, problem or "ok", fix)


def _range_answered(probe: _Probe) -> str | None:
    response = probe.session.get(probe.url, headers={"Range": "bytes=1-4"})
    body = probe.body
    if response.status_code != 206 or response.content != body[1:5]:
        return f"a Range request got {response.status_code}, not 206 with the 4 bytes asked for"
    return None


def _cors_answered(probe: _Probe) -> str | None:
    headers = {"Origin": TEST_ORIGIN, "Access-Control-Request-Method": "GET"}
    preflight = probe.session.options(probe.url, headers=headers)
    allowed = preflight.headers.get("Access-Control-Allow-Origin")
    # Browsers drop a preflight that is not 2xx, whatever headers it carries: say which it is.
    if not preflight.ok:
        reason = "403 Forbidden" if preflight.status_code == 403 else preflight.status_code
        return (
            f"the server answered the CORS preflight (OPTIONS from {TEST_ORIGIN}) with "
            f"{reason}, so browsers refuse web players the file"
        )
    if allowed not in ("*", TEST_ORIGIN):
        return f"a web page on {TEST_ORIGIN} may not fetch it (no CORS rule allows it)"
    return None


def set_cors(storage: Storage, origins: Sequence[str], *, dry_run: bool) -> dict[str, Any]:
    """Set the bucket's CORS rules so web players on `origins` can fetch (and seek) files.

    Raises:
        StorageError: the storage is not a bucket, or the rules could not be set.
    """
    from showpipe.storage.s3 import CORS_RULE

    bucket = bucket_of(storage, "CORS rules belong to the web server (`showpipe serve` sends them)")
    if dry_run:
        return {"CORSRules": [{**CORS_RULE, "AllowedOrigins": list(origins)}]}
    return bucket.set_cors(origins)


def setup_storage(storage: Storage, origins: Sequence[str]) -> list[Check]:
    """Create the bucket, set its CORS rules and its public-read policy, as far as the
    provider allows; one Check per step, with what to do by hand where it refused.

    Raises:
        StorageError: the storage is a local folder, which has nothing to set up.
    """
    from showpipe.storage.s3setup import ensure_bucket, policy_for, set_public_read

    storage = bucket_of(storage, "there is no bucket to set up (`showpipe serve` sends CORS)")
    bucket = storage.config.bucket
    try:
        created = ensure_bucket(storage)
    except StorageError as e:
        return [Check("bucket", False, str(e), "create the bucket in the provider's console")]
    steps = [Check("bucket", True, f"created {bucket}" if created else f"{bucket} exists")]
    try:
        storage.set_cors(origins)
        steps.append(Check("cors", True, f"GET and HEAD allowed from {', '.join(origins)}"))
    except StorageError as e:
        fix = "allow GET and HEAD (with the Range header) in the provider's CORS settings"
        steps.append(Check("cors", False, str(e), fix))
    try:
        set_public_read(storage)
        detail = f"anyone may read s3://{bucket}/{storage.config.prefix}*"
        steps.append(Check("public read", True, detail))
    except StorageError as e:
        policy = json.dumps(policy_for(storage), indent=2)
        fix = (
            "make the objects public in the provider's console (a public bucket, or a public "
            f"custom domain), or set this bucket policy where it is allowed:\n{policy}"
        )
        steps.append(Check("public read", False, str(e), fix))
    return steps
