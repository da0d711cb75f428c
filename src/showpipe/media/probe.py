"""Probing media and artwork: what a file really is, from its content, not its name."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen
from PIL import UnidentifiedImageError

from showpipe.errors import MediaError, shown
from showpipe.inputfiles import Identity, identity
from showpipe.media.integrity import check_complete
from showpipe.media.lazy import Image, flac, mp3, mp4, oggopus, oggvorbis
from showpipe.model.fields import SHOW_ARTWORK_MAX, SHOW_ARTWORK_MIN

# The content types each extension may hold; the probed type must be one of them.
EXTENSION_TYPES: dict[str, tuple[str, ...]] = {
    ".mp3": ("audio/mpeg",),
    ".m4a": ("audio/mp4",),
    ".mp4": ("video/mp4", "audio/mp4"),
    ".m4v": ("video/mp4",),
    ".opus": ("audio/ogg",),
    ".ogg": ("audio/ogg",),
    ".oga": ("audio/ogg",),
    ".flac": ("audio/flac",),
}

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class MediaInfo:
    """What probing a media file found."""

    content_type: str
    duration: float


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int
    mode: str


def probe_video_size(path: Path) -> tuple[int, int] | None:
    """An MP4's picture size from its video track header (ISO/IEC 14496-12 tkhd), if any."""
    try:
        with path.open("rb") as f:
            atoms = mp4.Atoms(f)  # type: ignore[attr-defined]
            for trak in atoms.path(b"moov")[-1].findall(b"trak"):
                if not _is_video(f, trak):
                    continue
                for tkhd in trak.findall(b"tkhd"):
                    f.seek(tkhd.offset + 8)
                    version = f.read(1)[0]
                    # width and height are 16.16 fixed point after the version's fields
                    f.seek(tkhd.offset + (96 if version == 1 else 84))
                    size = f.read(8)
                    width, height = (int.from_bytes(size[i : i + 4]) >> 16 for i in (0, 4))
                    return (width, height) if width and height else None
    except (OSError, KeyError, IndexError, mutagen.MutagenError):
        return None
    return None


def _is_video(f: Any, trak: Any) -> bool:
    for hdlr in trak.findall(b"hdlr", recursive=True):
        f.seek(hdlr.offset + 16)  # 8-byte header, 4 version/flags, 4 pre_defined
        if f.read(4) == b"vide":
            return True
    return False


def _read_info(path: Path, suffix: str) -> tuple[str, float] | None:
    """The content type and duration of a media file, or None when it holds no stream.

    MP3 and MP4 stream information is read beside the tags, never through them: the
    source's tags are replaced anyway, and loading them would hold a 100 MB embedded cover
    (an ID3 APIC frame, an MP4 `covr` atom) in memory, several times over.
    """
    with path.open("rb") as f:
        if suffix == ".mp3":
            # MPEGInfo skips ID3v2 tags by their headers' sizes before looking for audio.
            return "audio/mpeg", mp3.MPEGInfo(f).length
        if suffix in (".m4a", ".mp4", ".m4v"):
            atoms = mp4.Atoms(f)  # type: ignore[attr-defined]
            info = mp4.MP4Info(atoms, f)
            video = any(_is_video(f, trak) for trak in atoms.path(b"moov")[-1].findall(b"trak"))
            return ("video/mp4" if video else "audio/mp4"), info.length
    # Trying only the classes the extension allows keeps mutagen from guessing.
    parsed = mutagen.File(path, options=_classes_for(suffix))
    if parsed is None or parsed.info is None:
        return None
    if isinstance(parsed, flac.FLAC):
        return "audio/flac", parsed.info.length
    return "audio/ogg", parsed.info.length


def probe_media(path: Path) -> MediaInfo:
    """Find a media file's real type and duration.

    Raises:
        MediaError: the file is missing, empty, unparseable, of a type that does not match
            its extension, has no duration, or is truncated.
    """
    suffix = path.suffix.lower()
    if suffix not in EXTENSION_TYPES:
        known = ", ".join(sorted(EXTENSION_TYPES))
        raise MediaError(
            f"{shown(path)}: unsupported media extension '{suffix}' (use one of {known})"
        )
    try:
        if path.stat().st_size == 0:
            raise MediaError(f"{shown(path)}: file is empty")
        found = _read_info(path, suffix)
    except OSError as e:
        raise MediaError(f"{shown(path)}: cannot read file: {e.strerror}") from e
    # AtomError: not an atom structure; KeyError: an MP4 without `moov`.
    except (mutagen.MutagenError, mp4.AtomError, KeyError) as e:  # type: ignore[attr-defined]
        raise MediaError(f"{shown(path)}: not a valid {suffix[1:].upper()} file ({e})") from e
    if found is None:
        raise MediaError(f"{shown(path)}: not a valid {suffix[1:].upper()} file")
    content_type, length = found
    if content_type not in EXTENSION_TYPES[suffix]:
        raise MediaError(
            f"{shown(path)}: content is {content_type}, which does not match '{suffix}'"
        )
    duration = float(length or 0)
    if duration <= 0:
        raise MediaError(f"{shown(path)}: has no duration (empty or truncated recording?)")
    check_complete(path)
    return MediaInfo(content_type=content_type, duration=duration)


def _classes_for(suffix: str) -> list[type[mutagen.FileType]]:
    classes: dict[str, list[type[mutagen.FileType]]] = {
        ".mp3": [mp3.MP3],
        ".m4a": [mp4.MP4],
        ".mp4": [mp4.MP4],
        ".m4v": [mp4.MP4],
        ".opus": [oggopus.OggOpus],
        ".ogg": [oggvorbis.OggVorbis, oggopus.OggOpus],
        ".oga": [oggvorbis.OggVorbis, oggopus.OggOpus],
        ".flac": [flac.FLAC],
    }
    return classes[suffix]


def probe_image(path: Path) -> ImageInfo:
    """Find an image's real type and size, once per run for an unchanged file: a show's
    artwork is checked for each of its episodes, then measured for the manifest.

    Raises:
        MediaError: not a JPEG or PNG image, or unreadable.
    """
    try:
        current = identity(path, follow_links=True)
    except OSError as e:
        raise MediaError(f"{shown(path)}: not a readable JPEG or PNG image") from e
    if current is None:  # a folder, a pipe, a device: nothing to open
        raise MediaError(f"{shown(path)}: not a readable JPEG or PNG image")
    return _probe_image(path, current)


@functools.lru_cache(maxsize=4096)
def _probe_image(path: Path, current: Identity) -> ImageInfo:
    """`probe_image` for the file as `current` (its identity, which only keys the cache)."""
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, when a header claims more pixels than it will decode
            # (a "decompression bomb"): both are this error, never a traceback.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                kind, (width, height), mode = image.format, image.size, image.mode
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise MediaError(
            f"{shown(path)}: the image claims more pixels than showpipe reads "
            f"({Image.MAX_IMAGE_PIXELS}); artwork is at most 3000x3000"
        ) from e
    except (OSError, UnidentifiedImageError) as e:
        raise MediaError(f"{shown(path)}: not a readable JPEG or PNG image") from e
    if kind not in IMAGE_TYPES:
        raise MediaError(f"{shown(path)}: artwork must be JPEG or PNG, not {kind}")
    return ImageInfo(IMAGE_TYPES[kind], width, height, mode)


def check_artwork(
    path: Path,
    *,
    square: bool = True,
    show: bool = False,
    probe: Callable[[Path], ImageInfo],
) -> ImageInfo:
    """Check an image against Apple's artwork rules: JPEG or PNG, RGB, square, show size.

    Args:
        path: the image file.
        square: require width == height (episode and show artwork; not chapter images).
        show: also require Apple's show artwork size, 1400 to 3000 pixels a side.
        probe: how the image is measured (`episodeprobe.image_probe`: `probe_image`,
            remembered in the hash cache).

    Raises:
        MediaError: naming the file and the rule it breaks.
    """
    info = probe(path)
    if info.mode != "RGB":
        raise MediaError(
            f"{shown(path)}: artwork must be RGB, not {info.mode} (save it as an RGB image)"
        )
    if square and info.width != info.height:
        raise MediaError(f"{shown(path)}: artwork must be square, not {info.width}x{info.height}")
    if show and not SHOW_ARTWORK_MIN <= info.width <= SHOW_ARTWORK_MAX:
        raise MediaError(
            f"{shown(path)}: show artwork must be {SHOW_ARTWORK_MIN} to {SHOW_ARTWORK_MAX} px "
            f"a side, not {info.width}x{info.height}"
        )
    return info
