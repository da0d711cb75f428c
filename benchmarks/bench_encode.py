"""Master to release: showpipe's encoder against the ffmpeg command line, side by side.

A 60-minute 48 kHz 24-bit stereo WAV master (speech-like bursts, generated into a temporary
folder) becomes a -16 LUFS MP3 at 128 kbit/s and a 64 kbit/s Opus alternate:

- showpipe (in its own process, as `publish` runs it): `make_renditions` measures the master,
  encodes both renditions in parallel (one process each), measures each result, then both
  are tagged with `tagged_copy` (20 chapters).
- ffmpeg CLI (Debian's /usr/bin/ffmpeg, for the benchmark only): a two-pass `loudnorm`, the
  first pass measuring, the second normalising (linear=true) and encoding both outputs at once.

Printed: wall and CPU times and the wall ratio (target <= 1.0), the load average around each
side, each stage's time, the loudness and true peak of all four outputs measured by FFmpeg's
ebur128 (target -16 +- 0.5 LU, true peak <= -1 dBTP) and each side's peak RSS: the whole
process tree's, workers included, as benchmarks/processes.py samples it (target under 300 MB).
SHOWPIPE_BENCH_MINUTES (default 60) shortens it. bench_encode_memory.py runs showpipe's side
alone on a 3-hour master for its peak memory.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from processes import Run, run_measured

from showpipe.media.cache import BuildCache, tagged_copy
from showpipe.media.encode import settings_for
from showpipe.media.loudness import measure_loudness
from showpipe.media.renditions import make_renditions
from showpipe.media.tags import ChapterMark, TagSet

MINUTES = float(os.environ.get("SHOWPIPE_BENCH_MINUTES", "60"))
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
RATE = 48000
BLOCK_SECONDS = 10
# Distinct blocks the master cycles through: a minute of speech, 23 MB as packed samples.
DISTINCT_BLOCKS = 6


def speech_block(seed: int) -> np.ndarray:
    """Ten seconds of speech-like stereo: voice-band noise in syllables, pauses between phrases."""
    rng = np.random.default_rng(seed)
    count = RATE * BLOCK_SECONDS
    spectrum = np.fft.rfft(rng.standard_normal(count))
    hz = np.fft.rfftfreq(count, 1 / RATE)
    spectrum /= np.sqrt(np.maximum(hz, 1.0))
    spectrum[(hz < 90) | (hz > 7000)] = 0
    voice = np.fft.irfft(spectrum, n=count)
    t = np.arange(count) / RATE
    envelope = 0.3 + 0.7 * np.clip(np.sin(2 * np.pi * (3.5 + rng.random()) * t), 0, None) ** 2
    envelope *= np.sin(2 * np.pi * 0.3 * t + rng.random() * 6) > -0.6  # a pause now and then
    mono = voice * envelope
    room = np.fft.irfft(
        np.fft.rfft(rng.standard_normal(count)) / np.sqrt(np.maximum(hz, 1)), n=count
    )
    return np.stack([mono + 0.05 * room, 0.9 * mono - 0.05 * room], axis=1)


def make_master(path: Path, minutes: float) -> None:
    """Write the master block by block (never the hour in memory), cycling a few blocks."""
    scale = 0.05 / np.abs(speech_block(0)).max() * 4  # about -24 LUFS
    frames = []
    for seed in range(DISTINCT_BLOCKS):
        samples = np.clip(speech_block(seed) * scale, -1, 1)
        packed = np.round(samples * (2**31 - 256)).astype(np.int32).reshape(1, -1)
        frames.append(av.AudioFrame.from_ndarray(packed, format="s32", layout="stereo"))
        frames[-1].sample_rate = RATE
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s24le", rate=RATE, layout="stereo")
        for block in range(max(1, round(minutes * 60 / BLOCK_SECONDS))):
            frame = frames[block % DISTINCT_BLOCKS]
            frame.pts = None
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def showpipe_side(master: Path, work: Path) -> dict[str, object]:
    """Runs in a fresh process: what `publish` does for this master's two renditions."""
    cache = BuildCache(work / "cache")
    settings = [settings_for("mp3"), settings_for("opus", bitrate=64_000)]
    start = time.perf_counter()
    encoded = make_renditions(master, settings, hashes=cache.hashes, cache_dir=cache.dir)
    encoding = time.perf_counter() - start
    duration = MINUTES * 60
    tags = TagSet(
        title="A long episode", artists=("Ada Lovelace",), album="The Sample Show",
        album_artist="Ada", date="2026-11-16", summary="One line.",
        description="A long description. " * 50, feed_url="http://localhost:8000/feeds/show.xml",
        chapters=tuple(
            ChapterMark(i * duration / 20, (i + 1) * duration / 20, f"Part {i + 1}")
            for i in range(20)
        ),
    )  # fmt: skip
    start = time.perf_counter()
    copies = [
        tagged_copy(e.path, tags, cache=cache, label=f"long-{i}") for i, e in enumerate(encoded)
    ]
    tagging = time.perf_counter() - start
    return {
        "encoding": encoding,
        "tagging": tagging,
        "outputs": [str(c.path) for c in copies],
        "stages": [dict(e.stages) for e in encoded],
        "passes": [e.passes for e in encoded],
    }


def warm(path: Path) -> None:
    """Read a file into the page cache, a piece at a time, for both sides alike."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def run_showpipe(master: Path, work: Path) -> tuple[Run, dict[str, object]]:
    run = run_measured([sys.executable, __file__, "--showpipe-side", str(master), str(work)])
    return run, json.loads(run.stdout.splitlines()[-1])


def _ffmpeg(args: list[str]) -> Run:
    return run_measured([FFMPEG, "-hide_banner", "-nostats", "-y", *args])


def run_ffmpeg(master: Path, work: Path) -> tuple[Run, Run, list[Path]]:
    """The two passes of ffmpeg's loudnorm, the second encoding both outputs."""
    target = "I=-16:TP=-1:LRA=11"
    first = _ffmpeg(
        ["-i", str(master), "-af", f"loudnorm={target}:print_format=json", "-f", "null", "-"]
    )
    log = first.stderr
    measured = json.loads(log[log.rindex("{") : log.rindex("}") + 1])
    second = (
        f"loudnorm={target}:linear=true:measured_I={measured['input_i']}:"
        f"measured_LRA={measured['input_lra']}:measured_TP={measured['input_tp']}:"
        f"measured_thresh={measured['input_thresh']}:offset={measured['target_offset']}"
    )
    outputs = [work / "ffmpeg.mp3", work / "ffmpeg.opus"]
    encode = _ffmpeg([
        "-i", str(master), "-filter_complex", f"[0:a]{second},asplit=2[m][o]",
        "-map", "[m]", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", str(outputs[0]),
        "-map", "[o]", "-ar", "48000", "-c:a", "libopus", "-b:a", "64k", str(outputs[1]),
    ])  # fmt: skip
    return first, encode, outputs


def describe(path: Path) -> str:
    found = measure_loudness(path)
    ok = abs(found.integrated + 16) <= 0.5 and found.true_peak <= -1.0
    return (
        f"{found.integrated:6.2f} LUFS, true peak {found.true_peak:5.2f} dBTP "
        f"({'ok' if ok else 'MISSES the target'})"
    )


def figures(run: Run) -> str:
    return (
        f"wall {run.wall:6.1f} s, CPU {run.cpu:6.1f} s, load {run.load[0]:.1f} -> "
        f"{run.load[1]:.1f}, peak of the tree: RSS {run.tree_rss_mb:.0f} MB, "
        f"PSS {run.tree_pss_mb:.0f} MB"
    )


def print_showpipe(run: Run, report: dict[str, object]) -> None:
    print(f"showpipe   : {figures(run)}, largest process {run.largest_rss_mb:.0f} MB")
    print(f"  encoding both (measuring included) {report['encoding']:.1f} s, "
          f"tagging {report['tagging']:.2f} s")  # fmt: skip
    stages, passes = report["stages"], report["passes"]
    assert isinstance(stages, list) and isinstance(passes, list)
    for name, spent, count in zip(("mp3 128k", "opus 64k"), stages, passes, strict=True):
        times = ", ".join(f"{k} {v:.1f} s" for k, v in spent.items())
        print(f"  {name}: {times} ({count} encode pass{'es' if count != 1 else ''})")


def main() -> None:
    if shutil.which(FFMPEG) is None:  # before a gigabyte of master is made for nothing
        sys.exit(
            "bench_encode: ffmpeg not found; its baseline is Debian's ffmpeg command line "
            "(sudo apt install ffmpeg)"
        )
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as folder:
        work = Path(folder)
        master = work / "master.wav"
        start = time.perf_counter()
        make_master(master, MINUTES)
        size = master.stat().st_size / 1e6
        print(f"master: {MINUTES:g} min, 48 kHz 24-bit stereo WAV, {size:.0f} MB "
              f"(made in {time.perf_counter() - start:.1f} s)")  # fmt: skip
        print(f"master loudness: {describe(master).split(' (')[0]}")
        warm(master)
        first, second, ffmpeg_outputs = run_ffmpeg(master, work)
        warm(master)
        showpipe, report = run_showpipe(master, work)
        print(f"ffmpeg CLI : wall {first.wall + second.wall:6.1f} s, "
              f"CPU {first.cpu + second.cpu:6.1f} s")  # fmt: skip
        print(f"  measure: {figures(first)}\n  normalise + encode both: {figures(second)}")
        print_showpipe(showpipe, report)
        ffmpeg_wall, ffmpeg_cpu = first.wall + second.wall, first.cpu + second.cpu
        print(f"ratio showpipe / ffmpeg CLI: wall {showpipe.wall / ffmpeg_wall:.2f} "
              f"(target <= 1.0), CPU {showpipe.cpu / ffmpeg_cpu:.2f}")  # fmt: skip
        outputs = report["outputs"]
        assert isinstance(outputs, list)
        for label, path in zip(("showpipe mp3", "showpipe opus"), outputs, strict=True):
            print(f"{label:14}: {describe(Path(path))}")
        for label, path in zip(("ffmpeg mp3", "ffmpeg opus"), ffmpeg_outputs, strict=True):
            print(f"{label:14}: {describe(path)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--showpipe-side"]:
        print(json.dumps(showpipe_side(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
