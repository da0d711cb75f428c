"""Writing a tagged copy of a media file, and checking the tags by reading them back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mutagen

from showpipe.errors import MediaError, shown
from showpipe.media.id3 import read_mp3, write_mp3
from showpipe.media.mp4 import read_mp4, write_mp4
from showpipe.media.tags import ReadBack, TagSet, expected_readback, mismatches
from showpipe.media.vorbis import read_vorbis, write_vorbis

# A writer returns the sha256 of what it wrote when it hashed it on the way, else None.
Writer = Callable[[Path, Path, TagSet], str | None]
Reader = Callable[[Path], ReadBack]

FORMATS: dict[str, tuple[Writer, Reader]] = {
    ".mp3": (write_mp3, read_mp3),
    ".m4a": (write_mp4, read_mp4),
    ".mp4": (write_mp4, read_mp4),
    ".m4v": (write_mp4, read_mp4),
    ".opus": (write_vorbis, read_vorbis),
    ".ogg": (write_vorbis, read_vorbis),
    ".oga": (write_vorbis, read_vorbis),
    ".flac": (write_vorbis, read_vorbis),
}


def _format(path: Path) -> tuple[Writer, Reader]:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise MediaError(f"{shown(path)}: cannot tag '{path.suffix}' files") from None


def write_tags(source: Path, dest: Path, tags: TagSet, *, name: Path | None = None) -> str | None:
    """Write a tagged copy of `source` to `dest`; `source` itself is only read.

    Args:
        source: the original recording.
        dest: where the copy goes (replaced if it exists).
        tags: what to write.
        name: the file to name in errors (default: `source`).

    Returns:
        The sha256 of `dest` when the writer computed it while writing, else None.

    Raises:
        MediaError: the file could not be tagged.
    """
    writer, _ = _format(source)
    try:
        return writer(source, dest, tags)
    except (mutagen.MutagenError, OSError) as e:
        raise MediaError(f"{shown(name or source)}: cannot write tags: {e}") from e


def verify_tags(path: Path, tags: TagSet, *, name: Path | None = None) -> None:
    """Read the tags of `path` back and compare them with what was written.

    Raises:
        MediaError: naming the file (`name`, default `path`) and every field that differs.
    """
    _, reader = _format(path)
    try:
        actual = reader(path)
    except (mutagen.MutagenError, OSError) as e:
        raise MediaError(f"{shown(name or path)}: cannot read back its tags: {e}") from e
    wrong = mismatches(expected_readback(tags), actual)
    if wrong:
        raise MediaError(
            f"{shown(name or path)}: tags read back differ from what was written: "
            + "; ".join(wrong)
        )
