"""Measuring a recording's loudness, range and peaks with FFmpeg's ebur128 filter.

The filter implements ITU-R BS.1770-4 and EBU R128
(https://www.itu.int/rec/R-REC-BS.1770 , https://tech.ebu.ch/publications/r128): integrated
loudness in LUFS over 400 ms blocks with the two gates, loudness range (EBU Tech 3342) and the
true peak from 4x oversampling. It annotates the frames it passes with its running figures;
the last frame's are the whole file's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media.lazy import av
from showpipe.media.pcm import Excerpt, Filter, Progress, filtered_frames

log = logging.getLogger(__name__)

# ebur128 reports -70 LUFS, its absolute gate, for digital silence.
SILENT_LUFS = -70.0
# A sample this close to full scale counts as clipped: 16-bit audio tops out at 32767/32768.
CLIPPED_DBFS = -0.001


@dataclass(frozen=True)
class Loudness:
    """A recording's loudness as BS.1770-4 / EBU R128 measure it."""

    integrated: float  # LUFS
    lra: float  # LU
    true_peak: float  # dBTP
    sample_peak: float  # dBFS

    @property
    def silent(self) -> bool:
        return not self.integrated > SILENT_LUFS

    @property
    def clipped(self) -> bool:
        return self.sample_peak >= CLIPPED_DBFS

    def gain_to(self, target: float, path: Path) -> float:
        """The gain in dB that brings this recording to `target` LUFS.

        Raises:
            MediaError: the recording is silent, so there is nothing to normalise.
        """
        if self.silent:
            raise MediaError(f"{shown(path)}: is silent: there is no loudness to normalise")
        return target - self.integrated


def _decibels(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf


def _figure(metadata: dict[str, str], key: str) -> float:
    try:
        return float(metadata[f"lavfi.r128.{key}"])
    except (KeyError, ValueError):
        return -math.inf


def measure_loudness(
    path: Path,
    *,
    before: tuple[Filter, ...] = (),
    true_peak: bool = True,
    progress: Progress | None = None,
    excerpt: Excerpt | None = None,
) -> Loudness:
    """Measure a media file's first audio stream, streaming it through FFmpeg's ebur128.

    Args:
        path: the file.
        before: filters to run first, so the figures are those of the audio as it will be
            encoded (a mono downmix measures differently from its stereo source).
        true_peak: measure the true peak (4x oversampled, the slow part) besides the sample peak.
        progress: told how far the measurement is.
        excerpt: measure only this part, (start, length) in seconds.

    Raises:
        MediaError: the file cannot be decoded.
    """
    chain = (*before, metering(true_peak=true_peak))
    frames = filtered_frames(path, chain, progress=progress, excerpt=excerpt)
    found = loudness_of(frames, true_peak=true_peak)
    if found is None:
        raise MediaError(f"{shown(path)}: has no audio to measure")
    if found.clipped:
        log.warning("%s: clips (sample peaks at 0 dBFS): the master is distorted", shown(path))
    return found


def metering(*, true_peak: bool = True) -> Filter:
    """The ebur128 filter that annotates the frames it passes for `loudness_of`."""
    return ("ebur128", f"metadata=1:peak={'sample+true' if true_peak else 'sample'}")


def loudness_of(frames: Iterable[av.AudioFrame], *, true_peak: bool = True) -> Loudness | None:
    """The figures `metering` wrote on `frames` (the last frame's are the whole stream's);
    None when no frame carries any (no audio)."""
    last: dict[str, str] = {}
    sample = true = 0.0
    for frame in frames:
        if not frame.metadata:
            continue  # a frame flushed at the end may come without figures
        last = dict(frame.metadata)
        # ebur128's peaks are linear (its loudness figures are in LUFS and LU).
        sample = max(sample, _figure(last, "sample_peak"))
        true = max(true, _figure(last, "true_peak")) if true_peak else sample
    if not last:
        return None
    return Loudness(
        integrated=_figure(last, "I"),
        lra=max(0.0, _figure(last, "LRA")),
        true_peak=_decibels(true),
        sample_peak=_decibels(sample),
    )
