"""showpipe: publish podcast and video episodes in one command."""

from __future__ import annotations

from showpipe.errors import (
    ConfigError,
    EpisodeError,
    FeedError,
    MediaError,
    ProblemsFound,
    ShowpipeError,
    StorageError,
    ValidationError,
    VerifyError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "EpisodeError",
    "FeedError",
    "MediaError",
    "ProblemsFound",
    "ShowpipeError",
    "StorageError",
    "ValidationError",
    "VerifyError",
    "__version__",
]
