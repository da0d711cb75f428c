"""PyAV and Pillow, imported the first time they are used.

PyAV (FFmpeg) takes about a tenth of a second to import, and most runs never decode a
frame: cron's `feeds`, `check` of an unchanged show, `publish` of an episode whose
renditions are already in the build cache. Pillow's `Image` takes about 13 ms, and a run
whose artwork was measured before reads no image. Modules of this package take `av` and
`Image` from here; type checkers see the real modules.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import av
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
        return module

    av = _lazy("av")
    Image = _lazy("PIL.Image")

__all__ = ["Image", "av"]
