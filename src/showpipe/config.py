"""Project settings: where the project's files are, where to publish, and the public URL.

Precedence is Click's: a flag, then its SHOWPIPE_* environment variable (both reach
`load_settings` as `overrides`), then `showpipe.toml`, then the defaults below.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from showpipe.errors import ConfigError
from showpipe.inputfiles import MAX_CONFIG_BYTES, UnsafeFile, read_file

CONFIG_FILE = "showpipe.toml"
DEFAULT_STORAGE = "public"
DEFAULT_PUBLIC_URL = "http://localhost:8000/"


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about the project it works on."""

    root: Path
    storage: str = DEFAULT_STORAGE
    public_url: str = DEFAULT_PUBLIC_URL
    # Extra options for the storage backend (the [s3] table), passed through untouched.
    storage_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def feeds_dir(self) -> Path:
        return self.root / "feeds"

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def state_dir(self) -> Path:
        """showpipe's own files in the project (lock, cache, cron state); never published."""
        return self.root / ".showpipe"

    @property
    def cache_dir(self) -> Path:
        """Build cache (tagged copies, generated files): inside the project, ignored by git."""
        return self.root / ".showpipe" / "cache"


def find_project_root(start: Path) -> Path:
    """Return the nearest folder at or above `start` holding showpipe.toml or feeds/.

    Falls back to `start` itself, so a bare folder is a project with default settings.
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / "feeds").is_dir():
            return folder
    return start


# Where a setting comes from, for the messages that refuse one.
SOURCES = "--{flag}, SHOWPIPE_{var} or showpipe.toml"


def check_public_url(value: str) -> None:
    """Refuse a public URL feeds could not use (empty, relative, not http(s)).

    Raises:
        ConfigError: naming the value and where it can be set.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        where = SOURCES.format(flag="public-url", var="PUBLIC_URL")
        raise ConfigError(
            f"public_url {value!r} is not an http(s) URL; give the URL that serves the "
            f"storage, like https://cdn.example.com/show/ ({where})"
        )


def check_storage(value: str) -> None:
    """Refuse a storage value with a URL scheme other than exactly `s3://`.

    `s3:/bucket` would otherwise be a local folder named `s3:`, published to nobody.

    Raises:
        ConfigError: naming the value and the form expected.
    """
    where = SOURCES.format(flag="storage", var="STORAGE")
    if not value.strip():
        raise ConfigError(f"storage is empty; give a local folder or s3://bucket/prefix ({where})")
    # One letter before the colon is a Windows drive (C:\show), not a scheme.
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]+):", value)
    if scheme and not value.startswith("s3://"):
        raise ConfigError(
            f"storage {value!r}: '{scheme.group(1)}:' is not a storage showpipe knows; "
            f"write s3://bucket/prefix for S3, or a folder path without a colon ({where})"
        )


def load_settings(root: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read `root/showpipe.toml` and apply `overrides` (flags and environment) on top.

    Raises:
        ConfigError: the file is not valid TOML or has keys showpipe does not know.
    """
    values: dict[str, Any] = {}
    path = root / CONFIG_FILE
    if os.path.lexists(path):
        try:
            # Checked as every project file is: a regular file inside the project, not huge.
            values = tomllib.loads(read_file(path, root=root, limit=MAX_CONFIG_BYTES).decode())
        except UnsafeFile as e:
            raise ConfigError(f"{path}: {e.problem}") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: {e}") from e
    storage_options = values.pop("s3", {})
    known = {f.name for f in fields(Settings)} - {"root", "storage_options"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {sorted(known)}"
        )
    overrides = dict(overrides or {})
    # [s3] keys given as flags or SHOWPIPE_S3_* variables win over the file's, one by one.
    s3_overrides = overrides.pop("s3", None) or {}
    storage_options = {
        **storage_options,
        **{k: v for k, v in s3_overrides.items() if v is not None},
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    public_url = str(values.pop("public_url", DEFAULT_PUBLIC_URL))
    check_public_url(public_url)
    check_storage(str(values.get("storage", DEFAULT_STORAGE)))
    if not public_url.endswith("/"):
        public_url += "/"
    return Settings(root=root, public_url=public_url, storage_options=storage_options, **values)
