"""`showpipe serve`: the local storage folder over HTTP, answering Range requests (206)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import parse_range_header
from werkzeug.serving import run_simple
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from showpipe.errors import ConfigError
from showpipe.publishing.lock import LEASE_KEY
from showpipe.storage import MANIFEST_KEY
from showpipe.web.site import SITE_INDEX_KEY

# Content types podcast apps expect, which Python's mimetypes table may lack.
EXTRA_TYPES = {".xml": "application/rss+xml", ".vtt": "text/vtt", ".opus": "audio/ogg"}


# A read-only server (OPTIONS for web players' CORS preflights): anything else is 405.
METHODS = ("GET", "HEAD", "OPTIONS")
# The storage's own state is showpipe's, not the listeners'.
INTERNAL = {MANIFEST_KEY, LEASE_KEY, SITE_INDEX_KEY}


def make_app(folder: Path) -> Any:
    """A WSGI app serving `folder`: conditional and Range requests, CORS for web players.

    It serves only regular files inside `folder` (no link out of it, no dotfile such as the
    write lock or a temp file, none of showpipe's state files), only to GET and HEAD (and
    to the OPTIONS of a CORS preflight).
    """
    root = folder.resolve()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path.lstrip("/") or "index.html"
        try:
            if request.method not in METHODS:
                raise MethodNotAllowed(valid_methods=list(METHODS))
            if not _public(root, path):
                raise NotFound()
            response = _preflight() if request.method == "OPTIONS" else _send(root, path, environ)
        except HTTPException as e:  # NotFound among them
            response = e.get_response(environ)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Range"
        return close_when_done(response(environ, start_response))

    return app


def _send(root: Path, path: str, environ: dict[str, Any]) -> Response:
    _ignore_unsupported_range(environ)
    response = send_from_directory(root, path, environ, conditional=True, max_age=0)
    suffix = Path(path).suffix
    if suffix in EXTRA_TYPES:
        response.mimetype = EXTRA_TYPES[suffix]
    # The HTTP server sends its own Date header: a second one would repeat it.
    response.headers.pop("Date", None)
    return response


def _preflight() -> Response:
    """The answer to a web player's CORS preflight: it may GET, with Range."""
    headers = {
        "Allow": ", ".join(METHODS),
        "Access-Control-Allow-Methods": "GET, HEAD",
        "Access-Control-Allow-Headers": "Range",
    }
    return Response(status=204, headers=headers)


def _public(root: Path, path: str) -> bool:
    """Whether `path` names a file listeners may fetch: inside `root` once links are
    followed, no part of it hidden (a dotfile), and not one of showpipe's state files."""
    parts = path.split("/")
    if posixpath.normpath(path) in INTERNAL or any(part.startswith(".") for part in parts):
        return False
    target = (root / path).resolve()
    return target.is_relative_to(root) and target.is_file()


def _ignore_unsupported_range(environ: dict[str, Any]) -> None:
    """Drop a Range header that is not one range of bytes, so the whole file is sent (200).

    RFC 9110 section 14.2 lets a server ignore Range, and says it must ignore units it does
    not know; werkzeug answers 416 to both, which players take as an error.
    https://www.rfc-editor.org/rfc/rfc9110#section-14.2
    """
    value = environ.get("HTTP_RANGE")
    if value is None:
        return
    parsed = parse_range_header(value)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        del environ["HTTP_RANGE"]


def close_when_done(body: Iterable[bytes]) -> Iterator[bytes]:
    """Close the response's file once sent, or once dropped.

    werkzeug's development server skips close() when a client hangs up early (as podcast
    apps do when they seek), which would leak one open file per dropped connection.
    """
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def serve_folder(folder: Path, *, host: str, port: int) -> None:
    """Serve `folder` until interrupted.

    Raises:
        ConfigError: the storage is not a local folder that exists.
    """
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder; publish something first (showpipe publish)")
    run_simple(host, port, make_app(folder), threaded=True)
