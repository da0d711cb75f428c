"""A recording as FFmpeg should read it: without the big tags it would load whole.

FFmpeg reads an MP4's iTunes `covr` cover and an MP3's ID3 pictures into memory in one piece
(300 MB for a 300 MB cover) before the first audio frame, and showpipe never uses them:
tags are replaced, loudness is measured on the audio. So big tags are hidden, and the
cover never leaves the disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from showpipe.media.id3 import audio_region
from showpipe.media.lazy import mp4

# Tags bigger than this are hidden from FFmpeg; most are far smaller, and a file FFmpeg
# opens itself is read faster than one read through Python.
HIDE_TAGS_FROM = 1 << 20
MP4_SUFFIXES = (".m4a", ".mp4", ".m4v", ".mov")


class _TagsHidden:
    """An MP4 whose big metadata atoms read as `free`, which demuxers skip unread (ISO/IEC
    14496-12 §8.1.2)."""

    def __init__(self, f: IO[bytes], offsets: list[int]) -> None:
        self._f = f
        self._names = [offset + 4 for offset in offsets]  # after each atom's 4-byte size

    def read(self, size: int = -1) -> bytes:
        start = self._f.tell()
        data = self._f.read(size)
        # FFmpeg reads the whole recording through here: copy only a read that holds a name.
        names = [at for at in self._names if at < start + len(data) and at + 4 > start]
        if not names:
            return data
        patched = bytearray(data)
        for at in names:
            for i in range(max(at, start), min(at + 4, start + len(data))):
                patched[i - start] = b"free"[i - at]
        return bytes(patched)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()


class _From:
    """A file as if it began at `start`: an MP3 after its ID3v2 tags, its frames only."""

    def __init__(self, f: IO[bytes], start: int) -> None:
        self._f, self._start = f, start
        f.seek(start)

    def read(self, size: int = -1) -> bytes:
        return self._f.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = self._start if whence == 0 else 0
        return self._f.seek(offset + base, whence) - self._start

    def tell(self) -> int:
        return self._f.tell() - self._start


def _big_tag_atoms(f: IO[bytes]) -> list[int]:
    """Where an MP4's big `udta` and `meta` atoms start (tags, covers, old chapters)."""
    try:
        moov = mp4.Atoms(f).path(b"moov")[-1]  # type: ignore[attr-defined]
    except (KeyError, mp4.AtomError):  # type: ignore[attr-defined]
        return []
    big = [a for a in moov.children or [] if a.name in (b"udta", b"meta")]
    return [a.offset for a in big if a.length > HIDE_TAGS_FROM]


@contextmanager
def for_ffmpeg(path: Path) -> Iterator[str | _TagsHidden | _From]:
    """What to give `av.open` for `path`: its name, or a view of it without its big tags."""
    suffix = path.suffix.lower()
    if suffix == ".mp3":
        start = audio_region(path)[0]
        if start <= HIDE_TAGS_FROM:
            yield str(path)
            return
        with path.open("rb") as raw:
            yield _From(raw, start)
        return
    if suffix in MP4_SUFFIXES:
        with path.open("rb") as raw:
            big = _big_tag_atoms(raw)
            raw.seek(0)
            if big:
                yield _TagsHidden(raw, big)
                return
    yield str(path)
