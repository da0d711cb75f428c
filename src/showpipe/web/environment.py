"""The pages' templates: one Jinja environment per site build, its compiled templates kept
between runs.

Compiling the templates a run renders costs more than the rest of an incremental run's
pages (about 50 ms for an episode page, its embed, the archive and the show page, against
2 ms to load them compiled), and a run that renders six pages compiles them all. So Jinja's
bytecode cache (https://jinja.palletsprojects.com/en/stable/api/#bytecode-cache) keeps the
compiled code in the project's `.showpipe/cache/templates.sealed`. Marshalled code runs when
it is loaded, so the file is sealed (sealed.py): one not written by this user's showpipe is
never loaded. Jinja checks each entry against its template's source (a checksum) and the
running Python, and the file's key holds Jinja's version, so any other code is compiled
afresh. Deleting the file is always safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jinja2

from showpipe.sealed import read_sealed, write_sealed
from showpipe.times import clock
from showpipe.web import cards

TEMPLATES_FILE = "templates.sealed"
_KEY = f"jinja2 {jinja2.__version__}"


@dataclass(frozen=True)
class Templates:
    """The templates a site build renders with; with `cache_dir`, compiled code is read from
    and kept in `cache_dir/templates.sealed`."""

    cache_dir: Path | None = None

    @cached_property
    def environment(self) -> jinja2.Environment:
        kept = _SealedBytecode(self.cache_dir / TEMPLATES_FILE) if self.cache_dir else None
        environment = jinja2.Environment(
            loader=jinja2.PackageLoader("showpipe.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # The templates ship with showpipe and never change during a run: without this,
            # every page rendered stats each template it uses to see whether to reload it.
            auto_reload=False,
            bytecode_cache=kept,
        )
        environment.filters["clock"] = clock
        environment.filters["script_json"] = cards.script_json
        return environment

    def render(self, template: str, **values: Any) -> bytes:
        return self.environment.get_template(template).render(**values).encode("utf-8")

    def save(self) -> None:
        """Keep the templates compiled so far, if any was (once a run is done rendering)."""
        kept = self.__dict__.get("environment")  # where cached_property keeps it, once made
        if kept is not None and isinstance(kept.bytecode_cache, _SealedBytecode):
            kept.bytecode_cache.save()

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        # A worker process (parallel.py) renders with its own environment, compiling each
        # template once however many runs of pages it is sent; it never writes the cache.
        return (process_templates, ())


@cache
def process_templates() -> Templates:
    """This process's templates, without a cache file: what a worker renders with."""
    return Templates()


class _SealedBytecode(jinja2.BytecodeCache):
    """Jinja's compiled templates in one sealed file, read once, rewritten by `save` only
    when a template had to be compiled (the first run, or a new showpipe): once for all of
    them, not once per template."""

    def __init__(self, path: Path) -> None:
        self.path = path
        kept = read_sealed(path, _KEY)
        self._code: dict[str, bytes] = kept if isinstance(kept, dict) else {}
        self._changed = False

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if isinstance(code, bytes):
            # A stale or damaged entry leaves the bucket empty: Jinja compiles the template.
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
        self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        self._changed = False
        try:
            write_sealed(self.path, _KEY, self._code)
        except OSError:
            pass  # a read-only project: the templates are compiled again next run
