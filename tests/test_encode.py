"""Masters in, renditions out: each rendition is judged by an independent BS.1770 meter
(pyloudnorm) and a 4x-oversampled true-peak measurement, never by the encoder's own figures."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from masters import at_loudness, decode, pink_noise, speech_like, write_master
from showpipe.digests import file_digest
from showpipe.errors import MediaError
from showpipe.media.encode import FORMATS, encode_rendition, mixing, settings_for
from showpipe.media.hashes import HashCache
from showpipe.media.loudness import measure_loudness
from showpipe.media.renditions import make_renditions, measure_master

SECONDS = 4.0


def true_peak(samples: np.ndarray) -> float:
    """The true peak in dBTP: the sample peak of the signal oversampled 4x (BS.1770-4 Annex 2)."""
    return float(20 * np.log10(np.abs(resample_poly(samples, 4, 1, axis=0)).max()))


def loudness(samples: np.ndarray, rate: int) -> float:
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def make_master(folder: Path, *, signal: str, channels: int, kind: str, rate: int = 48000) -> Path:
    shape = pink_noise if signal == "pink" else speech_like
    lufs = -30.0 if signal == "pink" else -24.0
    samples = at_loudness(shape(SECONDS, rate, channels), rate, lufs)
    suffix = {"aiff": ".aiff", "flac": ".flac"}.get(kind, ".wav")
    return write_master(
        folder / f"{signal}-{channels}ch-{kind}-{rate}{suffix}", samples, rate, kind
    )


MASTERS = [
    ("pink", 2, "wav24", 48000),
    ("pink", 1, "wav16", 48000),
    ("speech", 2, "wavfloat", 48000),
    ("speech", 1, "aiff", 44100),
    ("pink", 2, "flac", 44100),
    ("speech", 2, "wav24", 96000),  # above 48 kHz: resampled
]


@pytest.mark.parametrize(("signal", "channels", "kind", "rate"), MASTERS)
@pytest.mark.parametrize("fmt", ["mp3", "aac", "opus"])
def test_a_rendition_meets_its_loudness_target(
    tmp_path: Path, signal: str, channels: int, kind: str, rate: int, fmt: str
) -> None:
    master = make_master(tmp_path, signal=signal, channels=channels, kind=kind, rate=rate)
    before = file_digest(master)
    settings = settings_for(fmt, channels=channels)
    out = tmp_path / f"rendition{FORMATS[fmt].suffix}"

    encoded = encode_rendition(master, out, settings)

    samples, out_rate = decode(out)
    assert out_rate == settings.sample_rate
    assert samples.shape[1] == channels
    target = -19.0 if channels == 1 else -16.0
    assert settings.target == target
    assert abs(loudness(samples, out_rate) - target) <= 0.5
    assert true_peak(samples) <= -1.0
    assert abs(samples.shape[0] / out_rate - SECONDS) <= 0.05
    assert file_digest(master) == before  # the master is only read
    assert encoded.gain == pytest.approx(target - encoded.master.integrated, abs=1.0)


def test_the_master_is_measured_as_an_independent_meter_measures_it(tmp_path: Path) -> None:
    master = make_master(tmp_path, signal="pink", channels=2, kind="wav24")
    samples, rate = decode(master)

    measured = measure_loudness(master)

    assert measured.integrated == pytest.approx(-30.0, abs=0.1)
    assert measured.integrated == pytest.approx(loudness(samples, rate), abs=0.1)
    assert measured.true_peak == pytest.approx(true_peak(samples), abs=0.3)
    assert measured.sample_peak <= measured.true_peak
    assert not measured.clipped


def test_loudness_off_keeps_the_level(tmp_path: Path) -> None:
    master = make_master(tmp_path, signal="speech", channels=2, kind="wav16")

    encode_rendition(master, tmp_path / "out.mp3", settings_for("mp3", loudness="off"))

    assert loudness(*decode(tmp_path / "out.mp3")) == pytest.approx(-24.0, abs=0.5)


def test_a_chosen_target_and_bitrate_are_followed(tmp_path: Path) -> None:
    master = make_master(tmp_path, signal="speech", channels=2, kind="wav16")
    settings = settings_for("mp3", bitrate=64_000, loudness=-18)

    encode_rendition(master, tmp_path / "out.mp3", settings)

    assert loudness(*decode(tmp_path / "out.mp3")) == pytest.approx(-18.0, abs=0.5)
    size = (tmp_path / "out.mp3").stat().st_size
    assert size == pytest.approx(64_000 / 8 * SECONDS, rel=0.15)


def test_a_silent_master_is_refused(tmp_path: Path) -> None:
    master = write_master(tmp_path / "silence.wav", np.zeros((48000, 2)), 48000, "wav16")

    with pytest.raises(MediaError, match=r"silence\.wav: is silent"):
        encode_rendition(master, tmp_path / "out.mp3", settings_for("mp3"))
    assert not (tmp_path / "out.mp3").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["silence.wav"]  # no partial file left


def test_an_undecodable_master_is_refused_by_name(tmp_path: Path) -> None:
    master = tmp_path / "broken.wav"
    master.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all" * 10)

    with pytest.raises(MediaError, match=r"broken\.wav: cannot decode"):
        encode_rendition(master, tmp_path / "out.mp3", settings_for("mp3"))
    assert [p.name for p in tmp_path.iterdir()] == ["broken.wav"]


def test_a_clipping_master_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    samples = np.clip(pink_noise(SECONDS, 48000, 2) * 40, -1, 1)
    master = write_master(tmp_path / "hot.wav", samples, 48000, "wav16")

    with caplog.at_level(logging.WARNING):
        measured = measure_loudness(master)

    assert measured.clipped
    assert "hot.wav: clips" in caplog.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fmt": "wma"}, "unknown format 'wma'"),
        ({"fmt": "opus", "sample_rate": 44100}, "opus takes sample rates 48000, not 44100"),
        ({"fmt": "mp3", "channels": 6}, "channels must be 1 or 2, not 6"),
    ],
)
def test_impossible_settings_are_refused(options: dict[str, object], message: str) -> None:
    fmt = str(options.pop("fmt"))
    with pytest.raises(MediaError, match=message):
        settings_for(fmt, **options)  # type: ignore[arg-type]


def test_renditions_are_made_in_parallel_with_a_bar_each_then_reused(tmp_path: Path) -> None:
    # Long enough that each encode outlasts a worker's start-up.
    samples = at_loudness(speech_like(30.0, 48000, 2), 48000, -24.0)
    master = write_master(tmp_path / "speech.wav", samples, 48000, "wav16")
    wanted = [settings_for("mp3"), settings_for("opus")]
    cache, bars = tmp_path / "cache", io.StringIO()

    made = make_renditions(master, wanted, hashes=HashCache(cache), cache_dir=cache, bars=bars)
    again = make_renditions(master, wanted, hashes=HashCache(cache), cache_dir=cache)

    assert [e.passes >= 1 for e in made] == [True, True]
    # Each worker process stamped its own start and end: two processes, and each encode
    # began before the other ended.
    mp3, opus = made
    assert len({mp3.worker, opus.worker, os.getpid()}) == 3
    assert mp3.span[0] < opus.span[1] and opus.span[0] < mp3.span[1]
    assert made[0].master == made[1].master  # measured once, for both
    # Its true peak, measured beside the encodes, is the one a full measurement gives, and
    # kept with the renditions' figures in the cache.
    full = measure_loudness(master, before=mixing(wanted[0]))
    assert made[0].master == full
    assert again[0].master == full
    assert [name for e in made for name, _ in e.stages].count("measure") == 2  # its time, each
    assert [e.passes for e in again] == [0, 0]  # found in the cache, with their figures
    assert [e.path for e in again] == [e.path for e in made]
    assert [e.gain for e in again] == [e.gain for e in made]
    lines = bars.getvalue().split("\x1b[K\n")
    assert any("-> mp3 128k" in line and "100%" in line for line in lines)
    assert any("-> opus 64k" in line and "100%" in line for line in lines)


def test_the_master_is_measured_once_per_channel_count(tmp_path: Path) -> None:
    voice = at_loudness(speech_like(SECONDS, 48000, 1), 48000, -24.0)
    left_only = np.concatenate([voice, np.zeros_like(voice)], axis=1)
    master = write_master(tmp_path / "left.wav", left_only, 48000, "wav16")
    stereo = [settings_for("mp3"), settings_for("opus"), settings_for("aac")]

    measured = measure_master(master, [*stereo, settings_for("mp3", channels=1)])

    assert measured[0] is measured[1] is measured[2]
    assert measured[0].integrated == pytest.approx(-24.0, abs=0.3)
    # The downmix takes each channel at -3 dB, so a voice on one side measures 3 LU less.
    assert measured[3].integrated == pytest.approx(measured[0].integrated - 3.0, abs=0.3)


@pytest.mark.parametrize("fmt", ["mp3", "aac", "opus"])
def test_the_figures_metered_while_encoding_are_the_files(tmp_path: Path, fmt: str) -> None:
    master = make_master(tmp_path, signal="speech", channels=2, kind="wav24")
    out = tmp_path / f"rendition{FORMATS[fmt].suffix}"

    encoded = encode_rendition(master, out, settings_for(fmt))

    read_back = measure_loudness(out)
    assert encoded.result.integrated == pytest.approx(read_back.integrated, abs=0.05)
    assert encoded.result.true_peak == pytest.approx(read_back.true_peak, abs=0.1)
    assert "verify" not in dict(encoded.stages)  # no sweep of the file after the encode
