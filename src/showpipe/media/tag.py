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

# A writer calls `check` once the tags are in `dest` (the MP3 writer does so while the audio
# is still being copied) and returns the digest of what it wrote if it hashed it on the way.
Writer = Callable[[Path, Path, TagSet, Callable[[], None]], str | None]
Reader = Callable[[Path], ReadBack]


def _then_check(write: Callable[[Path, Path, TagSet], None]) -> Writer:
    def write_and_check(source: Path, dest: Path, tags: TagSet, check: Callable[[], None]) -> None:
        write(source, dest, tags)
        check()

    return write_and_check


FORMATS: dict[str, tuple[Writer, Reader]] = {
    ".mp3": (write_mp3, read_mp3),
    ".m4a": (_then_check(write_mp4), read_mp4),
    ".mp4": (_then_check(write_mp4), read_mp4),
    ".m4v": (_then_check(write_mp4), read_mp4),
    ".opus": (_then_check(write_vorbis), read_vorbis),
    ".ogg": (_then_check(write_vorbis), read_vorbis),
    ".oga": (_then_check(write_vorbis), read_vorbis),
    ".flac": (_then_check(write_vorbis), read_vorbis),
}


def _format(path: Path) -> tuple[Writer, Reader]:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise MediaError(f"{shown(path)}: cannot tag '{path.suffix}' files") from None


def write_tags(source: Path, dest: Path, tags: TagSet) -> str | None:
    """Write a tagged copy of `source` to `dest` and read its tags back; `source` is only read.

    Args:
        source: the original recording (named in errors).
        dest: where the copy goes (replaced if it exists).
        tags: what to write.

    Returns:
        The digest of `dest` when the writer computed it while writing, else None.

    Raises:
        MediaError: the file could not be tagged, or its tags did not read back as written.
    """
    writer, _ = _format(source)
    try:
        return writer(source, dest, tags, lambda: verify_tags(dest, tags, name=source))
    except (mutagen.MutagenError, OSError) as e:
        raise MediaError(f"{shown(source)}: cannot write tags: {e}") from e


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
