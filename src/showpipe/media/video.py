"""Video masters: transcoding what is not H.264/AAC in MP4, and a poster frame from the video.

An H.264/AAC MP4 is published as it is (remuxed with tags, losslessly). Anything else, a
ProRes .mov or a VP9 .webm say, is transcoded with the FFmpeg of PyAV's wheel: x264 for the
picture (yuv420p, which every player decodes), AAC for the sound, normalised like an audio
episode's, and the index first (faststart) so playback starts before the download ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media.cache import BuildCache
from showpipe.media.encode import TOLERANCE_LU, EncodeSettings, levelling, mixing
from showpipe.media.lazy import av
from showpipe.media.loudness import measure_loudness
from showpipe.media.pcm import Filter, build_graph, pulled_frames
from showpipe.media.renditions import rendition_path, settings_of
from showpipe.media.sources import for_ffmpeg
from showpipe.model.show import Encoding

# Containers a video master may come in besides MP4.
VIDEO_MASTER_SUFFIXES = (".mov", ".mkv", ".webm")
# The audio of a transcoded video: AAC 128 kbit/s stereo at 48 kHz, the video world's rate.
VIDEO_AUDIO = EncodeSettings(format="aac", bitrate=128_000, channels=2, sample_rate=48000)


@dataclass(frozen=True)
class VideoProbe:
    duration: float
    video_codec: str | None
    audio_codec: str | None


def probe_video(path: Path) -> VideoProbe:
    """The duration and codecs of a video file, from its headers.

    Raises:
        MediaError: the file cannot be opened.
    """
    try:
        with for_ffmpeg(path) as source, av.open(source, "r") as container:
            video = (
                container.streams.video[0].codec_context.name if container.streams.video else None
            )
            audio = (
                container.streams.audio[0].codec_context.name if container.streams.audio else None
            )
            duration = container.duration / av.time_base if container.duration else 0.0
    except (av.FFmpegError, OSError) as e:
        raise MediaError(f"{shown(path)}: cannot decode: {e}") from e
    return VideoProbe(duration, video, audio)


def probe_video_master(path: Path, probe: Callable[[Path], VideoProbe]) -> VideoProbe | None:
    """The probe of a `video:` file that must be transcoded (not MP4, or not H.264 with AAC,
    or silent), None for one published as it is (or refused by `probe_media` by its name).
    `probe` reads the file's headers: `probe_video`, or what it found before, remembered."""
    suffix = path.suffix.lower()
    if suffix not in (*VIDEO_MASTER_SUFFIXES, ".mp4", ".m4v"):
        return None
    found = probe(path)
    plain = found.video_codec in (None, "h264") and found.audio_codec in (None, "aac")
    return found if suffix in VIDEO_MASTER_SUFFIXES or not plain else None


def transcode_video(
    master: Path, out: Path, *, probe: VideoProbe, target: float | None, crf: int = 23
) -> None:
    """Transcode `master` into an H.264/AAC MP4 at `out` with faststart; its audio is
    normalised to `target` LUFS (None: kept as it is). `out` appears whole or not at all.

    Like an audio rendition, the result is measured, and made once more with the gain
    corrected if the AAC encoder moved its loudness off the target.

    Args:
        master: the video master, only read.
        out: the MP4 to write.
        probe: what `probe_video_master` found in it.
        target: the loudness target in LUFS, or None.
        crf: x264's constant rate factor.

    Raises:
        MediaError: the master cannot be decoded, has no video, or is silent while normalised.
    """
    has_audio = probe.audio_codec is not None
    mix = mixing(VIDEO_AUDIO)
    gain = 0.0
    if has_audio and target is not None:
        gain = measure_loudness(master, before=mix).gain_to(target, master)
    ceiling = VIDEO_AUDIO.true_peak - VIDEO_AUDIO.spec.headroom
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        for last in (False, True):
            chain = mix + levelling(gain, ceiling) if target is not None else mix
            _write_video(master, partial, chain if has_audio else None, crf)
            if not has_audio or target is None:
                break
            miss = target - measure_loudness(partial, true_peak=False).integrated
            if last or abs(miss) <= TOLERANCE_LU:
                break
            gain += miss
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _write_video(master: Path, out: Path, chain: tuple[Filter, ...] | None, crf: int) -> None:
    try:
        options = {"movflags": "+faststart"}
        with (
            for_ffmpeg(master) as read,
            av.open(read, "r") as source,
            av.open(str(out), "w", "mp4", options) as sink,
        ):
            _transcode(source, sink, chain, crf)
    except av.FFmpegError as e:
        raise MediaError(f"{shown(master)}: cannot transcode: {e}") from e


def _transcode(
    source: av.container.InputContainer,
    sink: av.container.OutputContainer,
    chain: tuple[Filter, ...] | None,
    crf: int,
) -> None:
    if not source.streams.video:
        raise MediaError(f"{source.name}: has no video stream")
    video_in = source.streams.video[0]
    rate = video_in.average_rate or Fraction(25)
    video_out = sink.add_stream("libx264", rate=rate)
    assert isinstance(video_out, av.video.stream.VideoStream)
    # yuv420p wants even dimensions
    video_out.width = video_in.codec_context.width // 2 * 2
    video_out.height = video_in.codec_context.height // 2 * 2
    video_out.pix_fmt = "yuv420p"
    video_out.options = {"crf": str(crf), "preset": "veryfast"}
    audio_in = source.streams.audio[0] if chain is not None and source.streams.audio else None
    audio_out, graph = None, None
    if audio_in is not None and chain is not None:
        audio_out = sink.add_stream("aac", rate=VIDEO_AUDIO.sample_rate, layout="stereo")
        assert isinstance(audio_out, av.audio.stream.AudioStream)
        audio_out.bit_rate = VIDEO_AUDIO.bitrate
        graph = build_graph(audio_in, (*chain, ("aformat", "sample_fmts=fltp")), 0)
    streams = [s for s in (video_in, audio_in) if s is not None]
    for packet in source.demux(*streams):
        for frame in packet.decode():
            if isinstance(frame, av.VideoFrame):
                picture = frame.reformat(video_out.width, video_out.height, "yuv420p")
                picture.pts, picture.time_base = frame.pts, frame.time_base
                sink.mux(video_out.encode(picture))
            elif graph is not None and audio_out is not None:
                assert isinstance(frame, av.AudioFrame)
                graph.push(frame)
                _encode_audio(sink, audio_out, graph)
    if graph is not None and audio_out is not None:
        graph.push(None)
        _encode_audio(sink, audio_out, graph)
        sink.mux(audio_out.encode(None))
    sink.mux(video_out.encode(None))


def _encode_audio(
    sink: av.container.OutputContainer, stream: av.audio.stream.AudioStream, graph: av.filter.Graph
) -> None:
    for frame in pulled_frames(graph):
        frame.pts = None  # the encoder counts samples itself
        sink.mux(stream.encode(frame))


def extract_poster(video: Path, out: Path, *, at: float = 0.1) -> Path:
    """Save the first frame `at` (a fraction of the duration) into the video as a JPEG.

    Raises:
        MediaError: the video cannot be decoded or has no picture there.
    """
    try:
        with for_ffmpeg(video) as source, av.open(source, "r") as container:
            if not container.streams.video:
                raise MediaError(f"{shown(video)}: has no video stream to take a poster from")
            stream = container.streams.video[0]
            when = (container.duration or 0) / av.time_base * at
            container.seek(int(when * av.time_base))  # to the keyframe before
            for frame in container.decode(stream):
                if frame.time is not None and frame.time + 1e-3 >= when:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    image = frame.to_image()  # type: ignore[no-untyped-call]
                    image.convert("RGB").save(out, "JPEG", quality=90)
                    return out
    except av.FFmpegError as e:
        raise MediaError(f"{shown(video)}: cannot take a poster frame: {e}") from e
    raise MediaError(f"{shown(video)}: has no picture {at:.0%} of the way in")


def video_rendition(
    master: Path, encoding: Encoding, *, probe: VideoProbe, cache: BuildCache
) -> Path:
    """The H.264/AAC MP4 of a video master in the build cache: made once per master and
    settings (content digest, quality, loudness target), reused ever after.

    Raises:
        MediaError: the master cannot be transcoded.
    """
    digest = cache.hashes.digest(master)
    target = settings_of(encoding).target
    audio = replace(VIDEO_AUDIO, target=target)
    out = rendition_path(cache.dir, digest, audio, crf=encoding.crf)
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        transcode_video(master, out, probe=probe, target=target, crf=encoding.crf)
    return out


def poster_from(video: Path, digest: str, *, at: float, cache_dir: Path) -> Path:
    """A poster frame of a video (by its content `digest`) in the build cache, made once."""
    out = cache_dir / "posters" / f"{digest[:32]}-{round(at * 1000)}.jpg"
    return out if out.is_file() else extract_poster(video, out, at=at)
