"""What `check` and `publish --dry-run` say about loudness: each master's figures and the
gain its renditions get, and a warning for already-encoded audio far from the target.

Measurements are kept in the build cache by content digest, so a second `check` of an
unchanged show decodes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from showpipe.errors import shown
from showpipe.media.encode import Encoded, EncodeSettings, default_target
from showpipe.media.episodeprobe import feed_for
from showpipe.media.hashes import HashCache
from showpipe.media.loudness import Loudness, measure_loudness
from showpipe.media.pcm import probe_audio
from showpipe.media.renditions import is_master
from showpipe.model.episode import Episode
from showpipe.model.project import Project
from showpipe.model.show import Encoding

LOUDNESS_DIR = "loudness"
# An already-encoded file further than this from its feed's target is worth a warning.
WARN_LU = 2.0


@dataclass(frozen=True)
class LevelReport:
    """One file's loudness, and what publishing does (or would do) about it."""

    path: Path
    measured: Loudness
    target: float | None
    gain: float | None  # None: published as it is
    label: str  # the rendition, e.g. "mp3 128k"
    result: Loudness | None = None  # the rendition, measured once encoded

    @property
    def far_off(self) -> bool:
        return (
            self.gain is None
            and self.target is not None
            and abs(self.measured.integrated - self.target) > WARN_LU
        )

    def __str__(self) -> str:
        m = self.measured
        figures = f"{m.integrated:.1f} LUFS, LRA {m.lra:.1f} LU, peak {m.true_peak:.1f} dBTP" + (
            ", clips" if m.clipped else ""
        )
        if self.gain is not None:
            out = self.result
            made = f"; out {out.integrated:.1f} LUFS, {out.true_peak:.1f} dBTP" if out else ""
            return f"{shown(self.path)} -> {self.label}: {figures}; gain {self.gain:+.1f} dB{made}"
        if self.far_off:
            return (
                f"{shown(self.path)}: warning: {figures}, more than {WARN_LU:g} LU from the "
                f"feed's {self.target:g} LUFS (set `encoding: reencode: true` to normalise it)"
            )
        return f"{shown(self.path)}: {figures} (published as it is)"


def _label(settings: EncodeSettings) -> str:
    return f"{settings.format} {settings.bitrate // 1000}k"


def report_encoded(encoded: Encoded) -> LevelReport:
    """The report of a rendition just made or reused."""
    settings = encoded.settings
    return LevelReport(
        encoded.source,
        encoded.master,
        settings.target,
        encoded.gain,
        _label(settings),
        encoded.result,
    )


def _measured(path: Path, *, hashes: HashCache, cache_dir: Path) -> Loudness:
    """A file's loudness as it is, remembered by its content."""
    kept = cache_dir / LOUDNESS_DIR / f"{hashes.digest(path)[:32]}-as-is.json"
    try:
        return Loudness(**json.loads(kept.read_text()))
    except (OSError, ValueError, TypeError):
        pass  # not measured yet
    found = measure_loudness(path)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps(asdict(found)))
    return found


def _target_as_is(path: Path, encoding: Encoding) -> float | None:
    """The target a file published as it is is held to: its own channels decide the default."""
    if encoding.loudness == "off":
        return None
    if encoding.loudness is not None:
        return encoding.loudness
    return default_target(probe_audio(path)[1])


def far_off_files(
    project: Project, episodes: list[Episode], *, hashes: HashCache
) -> list[LevelReport]:
    """The files of `episodes` published as they are (not encoded from a master) whose
    loudness is far from their feed's target, measured once and remembered, for
    `showpipe check`. Masters are measured where they are encoded (`report_encoded`).

    Raises:
        MediaError: a file cannot be decoded (the file is named).
    """
    reports = []
    cache_dir = project.settings.cache_dir
    for episode in episodes:
        path = episode.media("audio")
        feed = feed_for(project, "audio")
        if path is None or is_master(path, feed.encoding):
            continue
        target = _target_as_is(path, feed.encoding)
        if target is not None:
            measured = _measured(path, hashes=hashes, cache_dir=cache_dir)
            report = LevelReport(path, measured, target, None, path.suffix[1:])
            reports += [report] if report.far_off else []  # only what needs attention
    return reports
