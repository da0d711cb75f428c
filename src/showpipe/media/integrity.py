"""Cheap checks that a media file is complete, for what its headers alone would not show.

A truncated upload still parses: an MP3's Xing header, an MP4's `moov` (first, with fast
start), Ogg's last whole page and FLAC's STREAMINFO all report a duration. These checks
compare what the headers promise with what is there, reading only the end of the file.
"""

from __future__ import annotations

import struct
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media.id3 import audio_region
from showpipe.media.lazy import flac

OGG_TAIL = 65536 + 1024  # an Ogg page is at most 65,307 bytes


def _mp4_missing(path: Path) -> int:
    """How many bytes the top-level atoms declare beyond the end of the file."""
    size = path.stat().st_size
    offset = 0
    with path.open("rb") as f:
        while offset + 8 <= size:
            f.seek(offset)
            length, _ = struct.unpack(">I4s", f.read(8))
            if length == 1:  # 64-bit size follows the type
                (length,) = struct.unpack(">Q", f.read(8))
            elif length == 0:  # the atom runs to the end of the file
                return 0
            if length < 8:
                return 0  # not an atom structure mutagen accepted; leave it to the parser
            offset += length
    return max(offset - size, 0)


def _xing_offset(header: bytes) -> int:
    """Where a Xing/Info tag starts in the first MPEG audio frame (after the side info)."""
    mpeg1 = (header[1] >> 3) & 0x3 == 3
    mono = (header[3] >> 6) == 3
    if mpeg1:
        return 4 + (17 if mono else 32)
    return 4 + (9 if mono else 17)


def _mp3_missing(path: Path) -> int:
    """How many audio bytes the Xing/Info header counts beyond the end of the file."""
    start, end = audio_region(path)
    with path.open("rb") as f:
        f.seek(start)
        frame = f.read(64)
    if len(frame) < 4:
        return 0
    at = _xing_offset(frame)
    if frame[at : at + 4] not in (b"Xing", b"Info") or len(frame) < at + 16:
        return 0  # no Xing header: nothing says how long the stream should be
    (flags,) = struct.unpack(">I", frame[at + 4 : at + 8])
    if not flags & 0x2:
        return 0
    field = at + 8 + (4 if flags & 0x1 else 0)
    (expected,) = struct.unpack(">I", frame[field : field + 4])
    return max(int(expected) - (end - start), 0)


def _ogg_missing(path: Path) -> int:
    """How many bytes the last Ogg page declares beyond the end of the file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(size - OGG_TAIL, 0))
        tail = f.read()
    page = tail.rfind(b"OggS")
    if page < 0 or len(tail) < page + 27:
        return 1
    segments = tail[page + 26]
    table = tail[page + 27 : page + 27 + segments]
    length = 27 + segments + sum(table)
    return max(page + length - len(tail), 0) if len(table) == segments else 1


def _flac_missing(path: Path) -> int:
    """How many samples STREAMINFO counts beyond the last frame that decodes whole.

    A FLAC frame's end is known only from its CRC, so FFmpeg's decoder checks the last
    second: a cut frame fails its CRC, and the frames before it end short of the total.
    """
    import av  # FFmpeg's libraries: loaded only when a FLAC file is checked

    info = flac.FLAC(path).info
    if not info.total_samples:
        return 0  # the encoder did not know the length: nothing to compare with
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        last_second = (info.total_samples / info.sample_rate - 1.0) / stream.time_base
        container.seek(max(int(last_second), 0), stream=stream)
        decoded_to = 0
        try:
            for frame in container.decode(stream):
                decoded_to = (frame.pts or 0) + frame.samples
        except av.error.InvalidDataError:
            return max(int(info.total_samples) - decoded_to, 1)
    return max(int(info.total_samples) - decoded_to, 0)


CHECKS = {
    ".mp3": _mp3_missing,
    ".m4a": _mp4_missing,
    ".mp4": _mp4_missing,
    ".m4v": _mp4_missing,
    ".opus": _ogg_missing,
    ".ogg": _ogg_missing,
    ".oga": _ogg_missing,
    ".flac": _flac_missing,
}


def check_complete(path: Path) -> None:
    """Raise if the file is shorter than its own headers say.

    Raises:
        MediaError: naming the file and how many bytes are missing.
    """
    check = CHECKS.get(path.suffix.lower())
    missing = check(path) if check else 0
    if missing:
        raise MediaError(
            f"{shown(path)}: file is truncated: it ends before its own headers say it "
            "should (export or copy it again)"
        )
