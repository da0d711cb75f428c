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
    return partial(hashes.remembered, kind="image", made=ImageInfo, probe=probe_image)


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
        # Opening a video with FFmpeg to read its codecs is about 5 ms, most of the time it
        # takes to publish an unchanged 500 MB MP4 again.
        remembered = partial(hashes.remembered, kind="video", made=VideoProbe, probe=probe_video)
        found = probe_video_master(path, remembered)
    if found is not None:
        if found.video_codec is None:
            raise MediaError(f"{shown(path)}: has no video stream (give it as `audio:`)")
        return MediaInfo(content_type="video/mp4", duration=found.duration), found
    info = remembered_media(hashes, path)
    if medium == "video" and not info.content_type.startswith("video/"):
        raise MediaError(f"{shown(path)}: has no video stream (give an audio file as `audio:`)")
    return info, None


def remembered_media(hashes: HashCache, path: Path) -> MediaInfo:
    return hashes.remembered(path, "media", MediaInfo, probe_media)


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
