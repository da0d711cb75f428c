"""The media layer: probing, artwork checks and tagging. The only importer of mutagen and av.

Callers use what is exported here; the submodules are one per tag format. Each export is
imported from its submodule when first used (PEP 562), so that a run which touches no media
(cron's `feeds`, an edit) does not import the tagging code for a name it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_FROM = {
    "showpipe.media.cache": ("BuildCache", "TaggedFile", "find_tagged_copy", "tagged_copy"),
    "showpipe.media.hashes": ("HashCache",),
    "showpipe.media.probe": (
        "EXTENSION_TYPES",
        "ImageInfo",
        "MediaInfo",
        "check_artwork",
        "probe_image",
        "probe_media",
        "probe_video_size",
    ),
    "showpipe.media.tag": ("verify_tags", "write_tags"),
    "showpipe.media.tags": ("ChapterMark", "Picture", "TagSet"),
    "showpipe.times": ("timestamp",),
}
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}

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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
