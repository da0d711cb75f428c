"""`showpipe serve`: the local storage folder over HTTP, answering Range requests (206)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.serving import run_simple
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from showpipe.errors import ConfigError

# Content types podcast apps expect, which Python's mimetypes table may lack.
EXTRA_TYPES = {".xml": "application/rss+xml", ".vtt": "text/vtt", ".opus": "audio/ogg"}


def make_app(folder: Path) -> Any:
    """A WSGI app serving `folder`: conditional and Range requests, CORS for web players."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path.lstrip("/") or "index.html"
        try:
            response = send_from_directory(folder, path, environ, conditional=True, max_age=0)
            suffix = Path(path).suffix
            if suffix in EXTRA_TYPES:
                response.mimetype = EXTRA_TYPES[suffix]
        except NotFound as e:
            response = _not_found(folder, e, environ)
        except HTTPException as e:
            response = e.get_response(environ)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Range"
        return close_when_done(response(environ, start_response))

    return app


def _not_found(folder: Path, error: NotFound, environ: dict[str, Any]) -> Any:
    """The site's own 404 page (as a static host would serve it), else werkzeug's."""
    page = folder / "404.html"
    if not page.is_file():
        return error.get_response(environ)
    return Response(page.read_bytes(), status=404, content_type="text/html; charset=utf-8")


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
