"""Encoding a master into a rendition (MP3, AAC in M4A, Opus), normalised to a loudness target.

One streaming pass: decode -> resample and mix to the rendition's rate and channels ->
gain -> limiter -> encoder -> muxer, a frame at a time, all in the FFmpeg of PyAV's wheel.

Normalising is a measured gain plus a peak limiter, not FFmpeg's loudnorm: loudnorm works at
192 kHz and falls back to dynamic compression whenever the gain would push the true peak over
its ceiling. A constant gain keeps the master's dynamics; the limiter only shaves the few
peaks the gain pushes over. Lossy encoders move the loudness a little (MP3 and AAC cut the
top of the spectrum) and make new inter-sample peaks, so the rendition is measured as it is
encoded (its packets decoded and metered on a thread beside the encoder: metering.py), and
encoded once more with the gain corrected if it missed (rare for speech).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media.lazy import av
from showpipe.media.loudness import Loudness, measure_loudness
from showpipe.media.metering import PacketMeter
from showpipe.media.pcm import Excerpt, Filter, Progress, filtered_frames, probe_audio


@dataclass(frozen=True)
class Format:
    """How one rendition format is encoded and stored."""

    codec: str  # FFmpeg's encoder
    muxer: str  # FFmpeg's container format
    suffix: str
    content_type: str
    rates: tuple[int, ...]  # the sample rates the encoder takes
    # How far under the true-peak ceiling the limiter works: lossy coding adds peaks, more
    # so at lower bitrates (on speech here: up to 1.2 dB for Opus 64k, 0.4 for MP3 128k).
    headroom: float
    decoder: str  # FFmpeg's decoder, to measure the rendition as players hear it
    options: tuple[tuple[str, str], ...] = ()  # muxer options


FORMATS: dict[str, Format] = {
    "mp3": Format(
        "libmp3lame", "mp3", ".mp3", "audio/mpeg", (32000, 44100, 48000), 1.0, "mp3float"
    ),
    # faststart: the index up front, so players start before the whole file has arrived.
    "aac": Format(
        "aac",
        "ipod",
        ".m4a",
        "audio/mp4",
        (44100, 48000),
        1.0,
        "aac",
        (("movflags", "+faststart"),),
    ),  # fmt: skip
    "opus": Format("libopus", "opus", ".opus", "audio/ogg", (48000,), 2.0, "opus"),
}

# Targets from AES TD1008 (https://www.aes.org/technical/documentDownloads.cfm?docID=731)
# and Apple's podcast guidance: -16 LUFS stereo, -19 LUFS mono (a mono file sounds as loud
# as its stereo version 3 LU louder), true peak at most -1 dBTP.
STEREO_TARGET = -16.0
MONO_TARGET = -19.0
TRUE_PEAK = -1.0
# Masters this long have an excerpt encoded first to find the codec's loudness shift.
CALIBRATE_FROM = 120.0
CALIBRATE_SECONDS = 30.0
# A rendition this close to the target is kept; further off, it is encoded again.
TOLERANCE_LU = 0.3


def default_target(channels: int) -> float:
    """The loudness target for a rendition with `channels` channels."""
    return MONO_TARGET if channels == 1 else STEREO_TARGET


@dataclass(frozen=True)
class EncodeSettings:
    """What a feed asks of a rendition. `target` None means: no loudness normalisation."""

    format: str = "mp3"
    bitrate: int = 128_000
    channels: int = 2
    sample_rate: int = 44100
    target: float | None = STEREO_TARGET
    true_peak: float = TRUE_PEAK

    @property
    def spec(self) -> Format:
        return FORMATS[self.format]

    def key(self) -> str:
        """What names these settings in a cache key: every field that changes the bytes."""
        target = "off" if self.target is None else f"{self.target:g}"
        return (
            f"{self.format}-{self.bitrate}-{self.channels}ch-{self.sample_rate}-"
            f"{target}-{self.true_peak:g}"
        )


@dataclass(frozen=True)
class Encoded:
    """A rendition written, with the figures behind it."""

    path: Path
    source: Path  # the master
    settings: EncodeSettings
    master: Loudness  # the master as it was mixed for this rendition
    gain: float  # dB applied
    result: Loudness  # the rendition, measured after encoding
    passes: int  # encodes it took (0: found in the build cache)
    stages: tuple[tuple[str, float], ...] = ()  # seconds measuring, calibrating, encoding
    # Who made it and when (epoch seconds), as the encoding process saw it: what shows that
    # the renditions of a master are made side by side. 0 when found in the build cache.
    worker: int = 0
    span: tuple[float, float] = (0.0, 0.0)


def mixing(settings: EncodeSettings) -> tuple[Filter, ...]:
    """The filters that bring any audio to the rendition's rate and channels."""
    layout = "mono" if settings.channels == 1 else "stereo"
    return (
        ("aresample", str(settings.sample_rate)),
        ("aformat", f"sample_fmts=fltp:channel_layouts={layout}"),
    )


def levelling(gain: float, ceiling: float) -> tuple[Filter, ...]:
    """The filters that apply `gain` dB, then hold sample peaks under `ceiling` dBFS."""
    # level=0: alimiter would otherwise raise the output to full scale after limiting;
    # latency=1 keeps its 5 ms look-ahead from delaying the audio.
    limit = min(1.0, max(0.0625, 10 ** (ceiling / 20)))
    return (
        ("volume", f"volume={gain:.3f}dB:precision=float"),
        ("alimiter", f"limit={limit:.5f}:level=0:latency=1:attack=5:release=50"),
    )


def check_settings(settings: EncodeSettings) -> None:
    """Raises MediaError when the format cannot be encoded with these settings."""
    if settings.format not in FORMATS:
        raise MediaError(f"unknown format '{settings.format}' (use {', '.join(FORMATS)})")
    rates = settings.spec.rates
    if settings.sample_rate not in rates:
        known = ", ".join(map(str, rates))
        raise MediaError(
            f"{settings.format} takes sample rates {known}, not {settings.sample_rate}"
        )
    if settings.channels not in (1, 2):
        raise MediaError(f"channels must be 1 or 2, not {settings.channels}")


def _write(
    master: Path,
    out: Path,
    settings: EncodeSettings,
    chain: tuple[Filter, ...],
    progress: Progress | None,
    excerpt: Excerpt | None = None,
) -> Loudness:
    """Encode into `out`; returns the rendition's figures, metered while it was encoded."""
    spec = settings.spec
    options = dict(spec.options)
    try:
        with av.open(str(out), "w", format=spec.muxer, options=options) as container:
            layout = "mono" if settings.channels == 1 else "stereo"
            stream = container.add_stream(spec.codec, rate=settings.sample_rate, layout=layout)
            assert isinstance(stream, av.audio.stream.AudioStream)
            stream.bit_rate = settings.bitrate
            context = stream.codec_context
            assert context.format is not None
            frames = filtered_frames(
                master,
                (*chain, ("aformat", f"sample_fmts={context.format.name}")),
                frame_size=context.frame_size,
                progress=progress,
                excerpt=excerpt,
            )
            with PacketMeter(spec.decoder, context, out) as meter:
                _encode(container, stream, frames, meter)
                return meter.loudness()
    except av.FFmpegError as e:
        raise MediaError(f"{shown(out)}: cannot encode from {shown(master)}: {e}") from e


def _encode(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    frames: Iterable[av.AudioFrame],
    meter: PacketMeter,
) -> None:
    for frame in itertools.chain(frames, (None,)):  # None: flush the encoder
        if frame is not None:
            frame.pts = None  # the encoder counts samples itself
        for packet in stream.encode(frame):
            meter.feed(packet)
            container.mux(packet)


def encode_rendition(
    master: Path,
    out: Path,
    settings: EncodeSettings,
    *,
    measured: Loudness | None = None,
    progress: Progress | None = None,
) -> Encoded:
    """Encode `master` into `out` with `settings`, normalised; `out` appears whole or not at all.

    Args:
        master: the recording, only read.
        out: the rendition to write.
        settings: format, bitrate, channels, rate and loudness target.
        measured: the master's loudness as `mixing(settings)` mixes it, when already known
            (`make_renditions` measures it once for all the renditions of a master).
        progress: told the fraction done.

    Raises:
        MediaError: the master cannot be decoded, is silent, or the rendition cannot be written.
    """
    check_settings(settings)
    started = time.time()
    mix = mixing(settings)
    clock = _Stages()
    master_loudness = measured
    if master_loudness is None:
        with clock("measure"):
            master_loudness = measure_loudness(master, before=mix, progress=progress)
    gain = 0.0 if settings.target is None else master_loudness.gain_to(settings.target, master)
    ceiling = settings.true_peak - settings.spec.headroom
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        if settings.target is not None:
            with clock("calibrate"):
                gain -= _codec_shift(master, partial, settings, gain=gain, ceiling=ceiling)
        for passes in (1, 2):
            chain = mix + (levelling(gain, ceiling) if settings.target is not None else ())
            with clock("encode"):
                result = _write(master, partial, settings, chain, progress)
            retry = _correction(settings, result)
            if retry is None or passes == 2:
                break
            gain, ceiling = gain + retry[0], ceiling + retry[1]
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    figures = (master_loudness, gain, result, passes, clock.seconds())
    return Encoded(out, master, settings, *figures, os.getpid(), (started, time.time()))


class _Stages:
    """Seconds spent per stage, for the benchmark's stage times."""

    def __init__(self) -> None:
        self._spent: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - start
            self._spent[stage] = self._spent.get(stage, 0.0) + spent

    def seconds(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._spent.items())


def _codec_shift(
    master: Path, partial: Path, settings: EncodeSettings, *, gain: float, ceiling: float
) -> float:
    """What the limiter and the codec do to the loudness, in LU, found on an excerpt.

    Lossy codecs change the loudness a little (MP3 at 128k lost 0.45 LU on speech here),
    which would otherwise cost a second full encode; for a long master, encoding an excerpt
    first finds the shift, and the full encode is made with the gain corrected for it.
    """
    duration = probe_audio(master)[0]
    if duration < CALIBRATE_FROM:
        return (
            0.0  # the whole file is hardly longer than the excerpt: check it once encoded instead
        )
    excerpt = (duration / 3, CALIBRATE_SECONDS)
    mix = mixing(settings)
    plain = measure_loudness(master, before=mix, true_peak=False, excerpt=excerpt)
    coded = _write(master, partial, settings, mix + levelling(gain, ceiling), None, excerpt)
    shift = coded.integrated - (plain.integrated + gain)
    # A silent or odd excerpt says nothing about the whole: then trust the verification.
    return shift if not plain.silent and abs(shift) < 2.0 else 0.0


def _correction(settings: EncodeSettings, result: Loudness) -> tuple[float, float] | None:
    """The (gain, ceiling) changes in dB for a second pass, or None when the first hit."""
    if settings.target is None:
        return None
    miss = settings.target - result.integrated
    over = result.true_peak - settings.true_peak
    if abs(miss) <= TOLERANCE_LU and over <= 0:
        return None
    return miss, (-over - 0.3) if over > 0 else 0.0


def settings_for(
    format: str = "mp3",
    *,
    bitrate: int | None = None,
    channels: int = 2,
    sample_rate: int | None = None,
    loudness: float | None | str = None,
    true_peak: float = TRUE_PEAK,
) -> EncodeSettings:
    """Settings with the documented defaults filled in: 128 kbit/s stereo (64 mono), 44.1 kHz
    (48 kHz for Opus), -16 LUFS stereo / -19 mono unless `loudness` is a number or "off"."""
    spec = FORMATS.get(format)
    if spec is None:
        raise MediaError(f"unknown format '{format}' (use {', '.join(FORMATS)})")
    default_rate = 44100 if 44100 in spec.rates else spec.rates[0]
    default_bitrate = (128_000 if channels == 2 else 64_000) if format != "opus" else 64_000
    target: float | None = None  # "off"
    if loudness != "off":
        target = default_target(channels) if loudness is None else float(loudness)
    found = EncodeSettings(
        format=format,
        bitrate=bitrate or default_bitrate,
        channels=channels,
        sample_rate=sample_rate or default_rate,
        target=target,
        true_peak=true_peak,
    )
    check_settings(found)
    return found
