"""Renditions of a master in the build cache: encoded once, in parallel, reused ever after.

A rendition is named by the master's content digest and every setting that changes its bytes
(`EncodeSettings.key`), so republishing, or editing only an episode's text, finds it and
encodes nothing; changing a feed's encoding, or the master, makes a new one. Beside each
rendition a small JSON file keeps the figures it was made with, for `publish --dry-run`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TextIO

from showpipe.media.encode import (
    Encoded,
    EncodeSettings,
    encode_rendition,
    mixing,
    settings_for,
)
from showpipe.media.hashes import HashCache
from showpipe.media.loudness import Loudness, measure_loudness
from showpipe.media.pcm import Filter, Progress
from showpipe.model.show import Encoding, Rendition
from showpipe.parallel import cores

RENDITIONS_DIR = "renditions"
# Files in these formats are masters: never published as they are, always encoded.
MASTER_SUFFIXES = (".wav", ".aif", ".aiff", ".flac")
# Already-encoded audio, published as it is unless the feed asks for re-encoding.
ENCODED_SUFFIXES = (".mp3", ".m4a", ".opus", ".ogg", ".oga")


def is_master(path: Path, encoding: Encoding) -> bool:
    """Whether `path` is encoded into renditions rather than published as it is."""
    suffix = path.suffix.lower()
    return suffix in MASTER_SUFFIXES or (encoding.reencode and suffix in ENCODED_SUFFIXES)


def settings_of(rendition: Rendition) -> EncodeSettings:
    """A feed's rendition fields as encoder settings, the defaults filled in."""
    return settings_for(
        rendition.format,
        bitrate=rendition.bitrate * 1000 if rendition.bitrate else None,
        channels=rendition.channels,
        sample_rate=rendition.sample_rate,
        loudness=rendition.loudness,
        true_peak=rendition.true_peak,
    )


def wanted(encoding: Encoding) -> list[EncodeSettings]:
    """The settings of a feed's main rendition, then of its alternates."""
    return [settings_of(encoding), *(settings_of(r) for r in encoding.alternates)]


def rendition_path(
    cache_dir: Path, digest: str, settings: EncodeSettings, *, crf: int | None = None
) -> Path:
    """Where a rendition of the master with content `digest` lives in the build cache: named
    by every setting that changes its bytes; `crf` for a video's H.264 picture (then an MP4)."""
    picture, suffix = ("", settings.spec.suffix) if crf is None else (f"-h264-crf{crf}", ".mp4")
    return cache_dir / RENDITIONS_DIR / f"{digest[:32]}{picture}-{settings.key()}{suffix}"


def _figures_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _save_figures(encoded: Encoded) -> None:
    figures: dict[str, object] = {"master": asdict(encoded.master), "gain": encoded.gain}
    figures |= {"result": asdict(encoded.result), "passes": encoded.passes}
    _figures_path(encoded.path).write_text(json.dumps(figures))


def find_rendition(path: Path, master: Path, settings: EncodeSettings) -> Encoded | None:
    """The rendition at `path` with its figures, if it was made (passes=0: made before)."""
    try:
        figures = json.loads(_figures_path(path).read_text())
        if not path.is_file():
            return None
        measured, result = Loudness(**figures["master"]), Loudness(**figures["result"])
        return Encoded(path, master, settings, measured, float(figures["gain"]), result, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not made yet, or its figures are damaged: make it again


def make_renditions(
    master: Path,
    settings: list[EncodeSettings],
    *,
    hashes: HashCache,
    cache_dir: Path,
    bars: TextIO | None = None,
) -> list[Encoded]:
    """Encode (or reuse) the renditions of `master`, in parallel, one process per core.

    Args:
        master: the recording; only read.
        settings: one per rendition.
        hashes: remembers the master's digest, so an unchanged master is not read again.
        cache_dir: the build cache.
        bars: a terminal to draw a progress bar per rendition on (None: draw nothing).

    Raises:
        MediaError: the master cannot be decoded or is silent (the file is named).
    """
    digest = hashes.digest(master)
    paths = [rendition_path(cache_dir, digest, s) for s in settings]
    found = [find_rendition(p, master, s) for p, s in zip(paths, settings, strict=True)]
    todo = [i for i, f in enumerate(found) if f is None]
    if todo:
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        labels = [_bar_label(master, settings[i]) for i in todo]
        start = time.perf_counter()
        progress = _draw_while_measuring(labels, bars)
        chosen = [settings[i] for i in todo]
        # With several renditions, the master is measured first without its true peak (4x
        # oversampled, the slow part), which the gain does not need: the peak is measured
        # beside the encodes, on the core the first one to finish leaves free.
        beside = len(todo) > 1 and cores() > 1
        measured = measure_master(master, chosen, progress, true_peak=not beside)
        spent = ("measure", time.perf_counter() - start)
        jobs = [(master, paths[i], settings[i], m) for i, m in zip(todo, measured, strict=True)]
        encoded_all, peaks = _encode_all(jobs, labels, bars, _mixes(chosen) if beside else {})
        for i, encoded in zip(todo, encoded_all, strict=True):
            peak = peaks.get(encoded.settings.channels, encoded.master.true_peak)
            done = replace(
                encoded,
                master=replace(encoded.master, true_peak=peak),
                stages=(spent, *encoded.stages),
            )
            found[i] = done
            _save_figures(done)
    return [f for f in found if f is not None]


def measure_master(
    master: Path,
    settings: list[EncodeSettings],
    progress: Progress | None = None,
    *,
    true_peak: bool = True,
) -> list[Loudness]:
    """The master's loudness as each rendition mixes it, measured once per channel count.

    A mono downmix measures differently from its stereo source; the sample rate hardly
    matters (the first rendition's is used), and the encoder's own shift is corrected apart.
    """
    found: dict[int, Loudness] = {}
    for channels, mix in _mixes(settings).items():
        found[channels] = measure_loudness(
            master, before=mix, progress=progress, true_peak=true_peak
        )
    return [found[each.channels] for each in settings]


def _mixes(settings: list[EncodeSettings]) -> dict[int, tuple[Filter, ...]]:
    """The filters that mix the master for each channel count the renditions have."""
    mixes: dict[int, tuple[Filter, ...]] = {}
    for each in settings:
        mixes.setdefault(each.channels, mixing(each))
    return mixes


def _true_peak(master: Path, mix: tuple[Filter, ...]) -> float:
    return measure_loudness(master, before=mix).true_peak


Job = tuple[Path, Path, EncodeSettings, Loudness]


def _encode_all(
    jobs: list[Job], labels: list[str], bars: TextIO | None, mixes: dict[int, tuple[Filter, ...]]
) -> tuple[list[Encoded], dict[int, float]]:
    """The renditions encoded, and the master's true peak for each channel count in `mixes`:
    measured in the same pool, queued after the encodes, so on the core the first finished
    encode leaves free."""
    master = jobs[0][0]
    if len(jobs) == 1 and bars is None:
        peaks = {channels: _true_peak(master, mix) for channels, mix in mixes.items()}
        return [_encode_job(jobs[0], 0, None)], peaks
    import multiprocessing  # only here: most runs encode nothing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may run threads (hashing, S3), which fork would break.
    context = multiprocessing.get_context("spawn")
    workers = min(len(jobs), cores())
    with ExitStack() as stack:
        pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=context))
        # The progress queue's manager is a process of its own (70 MB): only for the bars.
        queue: Any = None
        if bars is not None:
            queue = stack.enter_context(context.Manager()).Queue()
        futures = [pool.submit(_encode_job, job, i, queue) for i, job in enumerate(jobs)]
        measuring = {ch: pool.submit(_true_peak, master, mix) for ch, mix in mixes.items()}
        if bars is not None:
            _draw_until_done(futures, queue, labels, bars)
        peaks = {channels: future.result() for channels, future in measuring.items()}
        return [future.result() for future in futures], peaks


def _encode_job(job: Job, index: int, queue: Any) -> Encoded:
    master, out, settings, measured = job
    return encode_rendition(
        master, out, settings, measured=measured, progress=_reporter(index, queue)
    )


def _reporter(index: int, queue: Any) -> Callable[[float], None] | None:
    if queue is None:
        return None
    last = [-1.0]

    def report(fraction: float) -> None:
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            queue.put((index, fraction))

    return report


def _bar_label(master: Path, settings: EncodeSettings) -> str:
    return f"{master.name} -> {settings.format} {settings.bitrate // 1000}k"


# Each rendition's bar covers two sweeps of the input: the master measured (once, for all
# of them, before the workers start), then the rendition encoded (and metered meanwhile).
SWEEPS = 2


def _draw_while_measuring(labels: list[str], out: TextIO | None) -> Progress | None:
    """Draws every bar through the first sweep, while the master is measured."""
    if out is None:
        return None
    out.write("\n" * len(labels))
    last = [-1.0]

    def report(fraction: float) -> None:
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            _draw(out, labels, [fraction / SWEEPS] * len(labels))

    return report


def _draw_until_done(
    futures: list[Future[Encoded]], queue: Any, labels: list[str], out: TextIO
) -> None:
    done = [1 / SWEEPS] * len(labels)
    sweeps = [1] * len(labels)
    seen = [0.0] * len(labels)
    while not all(f.done() for f in futures):
        wait(futures, timeout=0.2)
        while not queue.empty():
            index, fraction = queue.get()
            if fraction < seen[index]:
                sweeps[index] += 1
            seen[index] = fraction
            done[index] = min(1.0, (sweeps[index] + fraction) / SWEEPS)
        _draw(out, labels, done)
    _draw(out, labels, [1.0] * len(labels))


def _draw(out: TextIO, labels: list[str], done: list[float]) -> None:
    width = 30
    out.write(f"\x1b[{len(labels)}F")  # back to the first bar's line
    for label, fraction in zip(labels, done, strict=True):
        filled = int(fraction * width)
        out.write(f"{label:<40} [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}\x1b[K\n")
    out.flush()


def terminal() -> TextIO | None:
    """stderr when it is a terminal (progress bars there), else None."""
    return sys.stderr if sys.stderr.isatty() else None
