"""The media layer: probing, artwork checks and tagging. The only importer of mutagen and av.

Callers use what is exported here; the submodules are one per tag format.
"""

from __future__ import annotations

from showpipe.media.cache import BuildCache, TaggedFile, find_tagged_copy, tagged_copy
from showpipe.media.hashes import HashCache
from showpipe.media.probe import (
    EXTENSION_TYPES,
    ImageInfo,
    MediaInfo,
    check_artwork,
    probe_image,
    probe_media,
    probe_video_size,
)
from showpipe.media.tag import verify_tags, write_tags
from showpipe.media.tags import ChapterMark, Picture, TagSet
from showpipe.times import timestamp

__all__ = [
    "BuildCache",
    "EXTENSION_TYPES",
    "ChapterMark",
    "HashCache",
    "ImageInfo",
    "MediaInfo",
    "Picture",
    "TagSet",
    "TaggedFile",
    "check_artwork",
    "find_tagged_copy",
    "probe_image",
    "probe_media",
    "probe_video_size",
    "tagged_copy",
    "timestamp",
    "verify_tags",
    "write_tags",
]
