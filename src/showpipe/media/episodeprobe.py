"""An episode's files probed, before any check or tagging: each media file by what it is (a
master to encode, a video to transcode, or a file published as it is), its alternates, and
images. What a probe found is remembered in the hash cache, so an unchanged file is not read
again (an episode tagged with `showpipe tag`, then published). An audio master's duration is
the exception: read from its header, it takes a third of a millisecond.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media import HashCache, ImageInfo, MediaInfo, probe_image, probe_media
from showpipe.media.encode import FORMATS
from showpipe.media.pcm import probe_audio
from showpipe.media.renditions import is_master
from showpipe.media.video import VideoProbe, probe_video, probe_video_master
from showpipe.model.episode import Episode
from showpipe.model.project import Project, line_naming
from showpipe.model.show import Feed

MEDIA = ("audio", "video")


@dataclass(frozen=True)
class CheckedMedia:
    """One media file of an episode, probed, with the feed whose show it is tagged as."""

    medium: str
    path: Path
    info: MediaInfo
    feed: Feed
    video: VideoProbe | None = None  # a video master to transcode, as probed by the check


def feed_for(project: Project, medium: str) -> Feed:
    """The feed that takes an episode's `medium` file; the first feed if none does."""
    return next((f for f in project.feeds if f.medium == medium), project.feeds[0])


def image_probe(hashes: HashCache) -> Callable[[Path], ImageInfo]:
    """`probe_image`, remembered in `hashes`."""
    return partial(_remembered_image, hashes)


def _remembered_image(hashes: HashCache, path: Path) -> ImageInfo:
    known = hashes.probed(path, "image")
    if known is not None:
        content_type, width, height, mode = known
        return ImageInfo(str(content_type), int(width), int(height), str(mode))
    info = probe_image(path)
    hashes.keep_probe(path, "image", [info.content_type, info.width, info.height, info.mode])
    return info


def pointed(error: MediaError, episode: Episode, medium: str, path: Path) -> MediaError:
    """The error pointing at the YAML line that names the file, as every input error does."""
    where = f"{shown(episode.source)}:{line_naming(episode.source, path.name)}"
    return MediaError(f"{where}: {medium}: {error}")


def probe_medium(
    path: Path, medium: str, feed: Feed, hashes: HashCache
) -> tuple[MediaInfo, VideoProbe | None]:
    """A published file's type and duration (for a master, its main rendition's type), and
    for a video master to transcode what probing it found, kept for the transcoding."""
    if medium == "audio" and is_master(path, feed.encoding):
        content_type = FORMATS[feed.encoding.format].content_type
        return MediaInfo(content_type=content_type, duration=probe_audio(path)[0]), None
    found = None
    if medium == "video":
        found = probe_video_master(path, partial(_remembered_video, hashes))
    if found is not None:
        if found.video_codec is None:
            raise MediaError(f"{shown(path)}: has no video stream (give it as `audio:`)")
        return MediaInfo(content_type="video/mp4", duration=found.duration), found
    info = remembered_media(hashes, path)
    if medium == "video" and not info.content_type.startswith("video/"):
        raise MediaError(f"{shown(path)}: has no video stream (give an audio file as `audio:`)")
    return info, None


def _remembered_video(hashes: HashCache, path: Path) -> VideoProbe:
    # Opening a video with FFmpeg to read its codecs is about 5 ms, most of the time it takes
    # to publish an unchanged 500 MB MP4 again.
    known = hashes.probed(path, "video")
    if known is not None:
        duration, video, audio = known
        return VideoProbe(float(duration), str(video) or None, str(audio) or None)
    found = probe_video(path)
    codecs = [found.video_codec or "", found.audio_codec or ""]
    hashes.keep_probe(path, "video", [found.duration, *codecs])
    return found


def remembered_media(hashes: HashCache, path: Path) -> MediaInfo:
    known = hashes.probed(path, "media")
    if known is not None:
        return MediaInfo(str(known[0]), float(known[1]))
    info = probe_media(path)
    hashes.keep_probe(path, "media", [info.content_type, info.duration])
    return info


def alternates_of(
    project: Project, episode: Episode, checked: list[CheckedMedia], *, hashes: HashCache
) -> list[tuple[CheckedMedia, str]]:
    """The files the episode lists under `alternates:`, probed (unless probed before and
    unchanged since), each with its copy's label."""
    feed = checked[0].feed if checked else feed_for(project, "audio")
    found = []
    for i, path in enumerate(episode.alternates, start=1):
        medium = "video" if path.suffix.lower() in (".mp4", ".m4v") else "audio"
        try:
            info = remembered_media(hashes, path)
        except MediaError as e:
            raise pointed(e, episode, f"alternates[{i - 1}]", path) from e
        found.append((CheckedMedia(medium, path, info, feed), f"{episode.slug}-alternate{i}"))
    return found
