"""Measuring a rendition while it is being encoded, on a thread beside the encoder.

Checking a rendition's loudness and true peak means decoding it and running it through
ebur128; done after the encode, that is one more sweep on the slowest rendition's critical
path. Here each packet is handed, as the encoder makes it, to a thread that decodes and
meters it. The encoder, the decoder and the filters all run in FFmpeg with the GIL released,
so the thread uses another core while the encoder works. The packets are the file's packets;
only the priming samples the muxer marks for skipping (a few ms of near-silence) are metered too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from showpipe.errors import MediaError, shown
from showpipe.media.lazy import av
from showpipe.media.loudness import Loudness, loudness_of, metering
from showpipe.media.pcm import build_graph, pulled_frames


class PacketMeter:
    """Decodes and meters an encoder's packets on a thread of its own; `loudness()` waits
    for the last one and returns the figures. Use it as a context manager: leaving it stops
    the thread even when the encode failed."""

    def __init__(
        self, decoder: str, encoder: av.audio.codeccontext.AudioCodecContext, out: Path
    ) -> None:
        self._decoder, self._encoder, self._out = decoder, encoder, out
        self._packets: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._found: Loudness | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> PacketMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def feed(self, packet: av.Packet[Any]) -> None:
        """Take a copy of `packet` (muxing it empties it) to meter."""
        if self._thread is None:  # the encoder is open now: its extradata is known
            self._thread = threading.Thread(target=self._run, args=(self._opened(),))
            self._thread.start()
        self._packets.put(bytes(packet))

    def loudness(self) -> Loudness:
        """The rendition's figures, once every packet is metered.

        Raises:
            MediaError: the packets could not be decoded, or there were none.
        """
        self._stop()
        error = self._error
        if isinstance(error, (av.FFmpegError, ValueError)):
            raise MediaError(f"{shown(self._out)}: cannot measure: {error}") from error
        if error is not None:
            raise error  # a bug: keep its traceback
        if self._found is None:
            raise MediaError(f"{shown(self._out)}: has no audio to measure")
        return self._found

    def _stop(self) -> None:
        if self._thread is not None:
            self._packets.put(None)
            self._thread.join()
            self._thread = None

    def _opened(self) -> av.audio.codeccontext.AudioCodecContext:
        context = av.CodecContext.create(self._decoder, "r")
        assert isinstance(context, av.audio.codeccontext.AudioCodecContext)
        context.sample_rate = self._encoder.sample_rate
        context.layout = self._encoder.layout
        if self._encoder.extradata:
            context.extradata = self._encoder.extradata
        return context

    def _run(self, context: av.audio.codeccontext.AudioCodecContext) -> None:
        try:
            self._found = loudness_of(self._metered(context))
        except Exception as e:  # handed to the encoder's thread by loudness()
            self._error = e
        finally:
            while self._packets.get() is not None:
                pass  # let the encoder's side finish its puts

    def _metered(self, context: av.audio.codeccontext.AudioCodecContext) -> Iterator[av.AudioFrame]:
        graph = None
        while (data := self._packets.get()) is not None:
            for frame in context.decode(av.Packet(data)):
                graph = graph or build_graph(frame, (metering(),), 0)
                graph.push(frame)
                yield from pulled_frames(graph)
        if graph is not None:
            for frame in context.decode(None):
                graph.push(frame)
            graph.push(None)
            yield from pulled_frames(graph)
        self._packets.put(None)  # for the drain in _run
