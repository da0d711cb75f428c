"""Masters with known properties for the encoding tests: pink noise and speech-like bursts at
a chosen BS.1770 loudness, written as WAV (16/24-bit, float), AIFF or FLAC with PyAV.

Imported by test modules as `masters` (tests/ is on sys.path). The loudness is set with
pyloudnorm, the independent meter the tests also judge renditions with.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pyloudnorm

# (container, codec, packed sample format the frame is built in) for each kind of master
KINDS: dict[str, tuple[str, str, str]] = {
    "wav16": ("wav", "pcm_s16le", "s16"),
    "wav24": ("wav", "pcm_s24le", "s32"),
    "wavfloat": ("wav", "pcm_f32le", "flt"),
    "aiff": ("aiff", "pcm_s16be", "s16"),
    "flac": ("flac", "flac", "s16"),
}


def pink_noise(seconds: float, rate: int, channels: int, *, seed: int = 1) -> np.ndarray:
    """Pink noise (3 dB less power an octave up), shaped by FFT: (samples, channels)."""
    count = int(seconds * rate)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal((channels, count)), axis=1)
    frequencies = np.arange(spectrum.shape[1], dtype=np.float64)
    frequencies[0] = 1.0
    return np.asarray(np.fft.irfft(spectrum / np.sqrt(frequencies), n=count, axis=1).T)


def speech_like(seconds: float, rate: int, channels: int, *, seed: int = 2) -> np.ndarray:
    """Bursts of band-limited noise at syllable rate (about 4 Hz) with pauses between phrases:
    the crest factor and gating behaviour of speech, which pink noise lacks."""
    noise = pink_noise(seconds, rate, 1, seed=seed)[:, 0]
    spectrum = np.fft.rfft(noise)
    hz = np.fft.rfftfreq(noise.size, 1 / rate)
    spectrum[(hz < 100) | (hz > 6000)] = 0  # a voice's band
    voice = np.fft.irfft(spectrum, n=noise.size)
    t = np.arange(noise.size) / rate
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) ** 2
    phrases = (np.sin(2 * np.pi * 0.4 * t) > -0.5).astype(np.float64)  # a pause every 2.5 s
    mono = voice * syllables * phrases
    return np.repeat(mono[:, None], channels, axis=1)


def at_loudness(samples: np.ndarray, rate: int, lufs: float) -> np.ndarray:
    """`samples` scaled to an integrated loudness of `lufs` (BS.1770, pyloudnorm)."""
    measured = pyloudnorm.Meter(rate).integrated_loudness(samples)
    return np.asarray(samples * 10 ** ((lufs - measured) / 20))


def write_master(path: Path, samples: np.ndarray, rate: int, kind: str) -> Path:
    """Write (samples, channels) floats in [-1, 1] as a master of `kind` (see KINDS)."""
    container_format, codec, packed = KINDS[kind]
    channels = samples.shape[1]
    layout = "mono" if channels == 1 else "stereo"
    if packed == "flt":
        data = samples.astype(np.float32)
    else:
        full = 2**15 - 1 if packed == "s16" else 2**31 - 256
        data = np.round(np.clip(samples, -1, 1) * full).astype(
            np.int16 if packed == "s16" else np.int32
        )
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=packed, layout=layout)
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def decode(path: Path) -> tuple[np.ndarray, int]:
    """All of a file's first audio stream as float64 (samples, channels), and its rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="dbl", layout=stream.layout.name)
        chunks = [
            out.to_ndarray().reshape(-1, stream.channels)
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        rate = stream.rate
    return np.concatenate(chunks), rate
