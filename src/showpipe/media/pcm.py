"""Streaming decoded audio through an FFmpeg filter graph, one frame at a time.

Measuring and encoding both decode a master and run it through FFmpeg's filters (the ones
PyAV's wheel carries); neither may hold the decoded audio in memory: a three-hour 48 kHz
24-bit stereo master is 3 GB of samples. Every FFmpeg error becomes a MediaError naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from showpipe.errors import MediaError, shown
from showpipe.media.lazy import av
from showpipe.media.sources import for_ffmpeg

# A filter and its arguments, as FFmpeg's -af names them: ("volume", "volume=3dB").
Filter = tuple[str, str]
# Told the fraction of the input read so far, 0 to 1.
Progress = Callable[[float], None]
# A part of a file: (start, length) in seconds.
Excerpt = tuple[float, float]


@contextmanager
def open_audio(
    path: Path,
) -> Iterator[tuple[av.container.InputContainer, av.audio.stream.AudioStream]]:
    """Open a media file for reading and find its first audio stream.

    Raises:
        MediaError: the file cannot be opened or has no audio stream.
    """
    with for_ffmpeg(path) as source:
        try:
            container = av.open(source, "r")
        except (av.FFmpegError, OSError) as e:
            raise MediaError(f"{shown(path)}: cannot decode: {_reason(e)}") from e
        try:
            if not container.streams.audio:
                raise MediaError(f"{shown(path)}: has no audio stream")
            yield container, container.streams.audio[0]
        finally:
            container.close()


def _reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or str(e)


def build_graph(
    source: av.audio.stream.AudioStream | av.AudioFrame,
    filters: Sequence[Filter],
    frame_size: int,
) -> av.filter.Graph:
    """A filter graph taking audio like `source` (a stream, or a frame of audio that comes
    from no stream) through `filters`, cutting it into `frame_size` frames if not 0."""
    graph = av.filter.Graph()
    if isinstance(source, av.AudioFrame):
        rate, layout = source.sample_rate, source.layout.name
        node = graph.add_abuffer(sample_rate=rate, format=source.format.name, layout=layout)
    else:
        node = graph.add_abuffer(template=source)
    for name, args in filters:
        following = graph.add(name, args)
        node.link_to(following)
        node = following
    node.link_to(graph.add("abuffersink"))
    graph.configure()
    if frame_size:
        # Encoders other than PCM take fixed-size frames; the sink cuts them so.
        graph.set_audio_frame_size(frame_size)
    return graph


def pulled_frames(graph: av.filter.Graph) -> Iterator[av.AudioFrame]:
    while True:
        try:
            frame = graph.pull()
        except (av.BlockingIOError, av.EOFError):
            return
        assert isinstance(frame, av.AudioFrame)
        yield frame


def filtered_frames(
    path: Path,
    filters: Sequence[Filter],
    *,
    frame_size: int = 0,
    progress: Progress | None = None,
    excerpt: Excerpt | None = None,
) -> Iterator[av.AudioFrame]:
    """Decode the first audio stream of `path` through `filters`, yielding what comes out.

    Args:
        path: the media file.
        filters: the chain, in order, between FFmpeg's abuffer and abuffersink.
        frame_size: samples per frame out (an encoder's frame size), or 0 for any.
        progress: told how far into the input the decoder is.
        excerpt: only this part of the file, found by seeking.

    Raises:
        MediaError: the file cannot be decoded (the file is named).
    """
    with open_audio(path) as (container, stream):
        duration = _duration(container, stream)
        try:
            graph = build_graph(stream, filters, frame_size)
            for frame in _decoded(container, stream, excerpt):
                graph.push(frame)
                yield from pulled_frames(graph)
                if progress and duration and frame.time is not None:
                    progress(min(1.0, frame.time / duration))
            graph.push(None)
            yield from pulled_frames(graph)
        except (av.FFmpegError, ValueError) as e:
            raise MediaError(f"{shown(path)}: cannot decode: {_reason(e)}") from e
    if progress:
        progress(1.0)


def _decoded(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    excerpt: Excerpt | None,
) -> Iterator[av.AudioFrame]:
    if excerpt is None:
        yield from container.decode(stream)
        return
    start, length = excerpt
    if stream.time_base is not None:
        container.seek(int(start / stream.time_base), stream=stream)
    for frame in container.decode(stream):
        if frame.time is not None and frame.time >= start + length:
            return
        yield frame


def _duration(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration else 0.0


def probe_audio(path: Path) -> tuple[float, int]:
    """The duration in seconds and the channel count of a file's first audio stream.

    Raises:
        MediaError: the file cannot be opened, has no audio, or no duration.
    """
    with open_audio(path) as (container, stream):
        duration, channels = _duration(container, stream), stream.channels
    if duration <= 0:
        raise MediaError(f"{shown(path)}: has no duration (empty or truncated recording?)")
    return duration, channels
