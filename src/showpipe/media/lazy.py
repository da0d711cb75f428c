"""PyAV, Pillow and mutagen's formats, imported the first time they are used.

PyAV (FFmpeg) takes about a tenth of a second to import, and most runs never decode a
frame: cron's `feeds`, `check` of an unchanged show, `publish` of an episode whose
renditions are already in the build cache. Pillow's `Image` (about 13 ms) and mutagen's
formats (about 25 ms, ID3 most of it) are needed only by runs that read an image or a media
file. Modules of this package take them from here; type checkers see the real modules.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import av
    from mutagen import flac, id3, mp3, mp4, oggopus, oggvorbis
    from PIL import Image
else:

    def _lazy(name: str):  # noqa: ANN202
        """`name`, loaded when one of its attributes is first read (importlib's LazyLoader)."""
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.loader is not None, f"{name} is not installed"
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent:  # as an import would: `mutagen.id3` is also an attribute of `mutagen`
            setattr(sys.modules[parent], child, module)
        return module

    av = _lazy("av")
    Image = _lazy("PIL.Image")
    flac, id3, mp3, mp4 = (_lazy(f"mutagen.{n}") for n in ("flac", "id3", "mp3", "mp4"))
    oggopus, oggvorbis = _lazy("mutagen.oggopus"), _lazy("mutagen.oggvorbis")

__all__ = ["Image", "av", "flac", "id3", "mp3", "mp4", "oggopus", "oggvorbis"]
