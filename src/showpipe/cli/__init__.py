"""The `showpipe` command: parses options, calls the library, renders what it returns.

The group and its shared options live in `app`; each module below adds its commands to it.
"""

from showpipe.cli import publishing, start, storage, web  # noqa: F401  (registers the commands)
from showpipe.cli.app import cli, main

__all__ = ["cli", "main"]
