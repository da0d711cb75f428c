"""Peak memory of `showpipe publish` against the size of the tags in the source file.

A source's own tags are thrown away (the new tag replaces them), so a huge embedded cover
must cost no memory. Two sources are published, each in its own `showpipe` process:

1. an MP3 whose ID3 tag holds an APIC cover of SHOWPIPE_BENCH_COVER_MB (default 100) MB;
2. an MP4 whose `covr` atom holds SHOWPIPE_BENCH_COVR_MB (default 300) MB.

Each is measured side by side with the same episode from a source with no cover (the
baseline); printed are both peak RSS figures (the process's VmHWM) and their ratio.
Target: the ratio stays under 1.2, whatever the cover's size.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from peakmemory import peak_rss_mb, with_mp3_cover, with_mp4_cover  # noqa: E402

MB = 1 << 20


def make_project(root: Path) -> Path:
    project = root / "show"
    project.mkdir()
    for name in ("feeds", "episodes"):
        shutil.copytree(REPO / name, project / name)
    shutil.copy(REPO / "showpipe.toml", project)
    return project


def publish_peak_mb(project: Path, medium: str, media: str) -> float:
    """Publish one episode naming `media` in a fresh process; its peak RSS in MB."""
    name = Path(media).stem
    (project / "episodes" / f"{name}.yaml").write_text(
        f"title: {name}\npublished: 2026-11-10T10:00:00+00:00\nsummary: S.\n"
        f"description: D.\n{medium}: {media}\n"
    )
    return peak_rss_mb(project, "publish", f"episodes/{name}.yaml")


def main() -> None:
    cover_mb = int(os.environ.get("SHOWPIPE_BENCH_COVER_MB", "100"))
    covr_mb = int(os.environ.get("SHOWPIPE_BENCH_COVR_MB", "300"))
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp))
        media = project / "episodes" / "media"
        with_mp3_cover(media / "pilot.mp3", media / "big-cover.mp3", cover_mb * MB)
        shutil.copy(media / "pilot.mp3", media / "no-cover.mp3")
        with_mp4_cover(media / "on-tools.mp4", media / "big-covr.mp4", covr_mb * MB)
        with_mp4_cover(media / "on-tools.mp4", media / "no-covr.mp4", 1)
        for label, medium, big, small in (
            (f"MP3, {cover_mb} MB APIC", "audio", "media/big-cover.mp3", "media/no-cover.mp3"),
            (f"MP4, {covr_mb} MB covr", "video", "media/big-covr.mp4", "media/no-covr.mp4"),
        ):
            base = publish_peak_mb(project, medium, small)
            peak = publish_peak_mb(project, medium, big)
            print(
                f"{label}: peak RSS {peak:.0f} MB, without the cover {base:.0f} MB "
                f"(ratio {peak / base:.2f}; target < 1.2)"
            )


if __name__ == "__main__":
    main()
