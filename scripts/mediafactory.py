"""Small, real media files made with PyAV (FFmpeg's encoders in a wheel) and Pillow.

Used by `make_sample_media.py` for the sample show and by the tests, so both stand on
files that real decoders produce and read.
"""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# container format, audio codec, and sample rate each audio extension is written with
AUDIO_FORMATS = {
    ".mp3": ("mp3", "libmp3lame", 22050),
    ".m4a": ("ipod", "aac", 22050),
    ".mp4": ("mp4", "aac", 22050),
    ".opus": ("opus", "libopus", 48000),
    ".flac": ("flac", "flac", 22050),
}


def _tone(seconds: float, rate: int, pitch: float) -> np.ndarray:
    """A soft two-note chime with a slow tremolo: easy on the ear, cheap to encode."""
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.25 * np.sin(2 * np.pi * pitch * t) + 0.15 * np.sin(2 * np.pi * pitch * 1.5 * t)
    wave *= 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)
    return wave.astype(np.float32)


def _encode_audio(
    container: av.container.OutputContainer, codec: str, rate: int, samples: np.ndarray
) -> None:
    stream = container.add_stream(codec, rate=rate, layout="mono")
    if codec in ("libmp3lame", "aac", "libopus"):
        stream.bit_rate = 32000
    chunk = 1024
    for start in range(0, len(samples), chunk):
        block = samples[start : start + chunk].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(block, format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = fractions.Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def make_audio(path: Path, seconds: float = 3.0, *, pitch: float = 440.0) -> Path:
    """Write a real audio file; the format follows the extension (see AUDIO_FORMATS)."""
    fmt, codec, rate = AUDIO_FORMATS[path.suffix.lower()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=fmt) as container:
        _encode_audio(container, codec, rate, _tone(seconds, rate, pitch))
    return path


def make_video(
    path: Path, seconds: float = 2.0, *, size: tuple[int, int] = (160, 90), fps: int = 10
) -> Path:
    """Write an H.264 + AAC MP4 (moov first, for progressive playback)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "35", "preset": "veryfast"}
        audio = container.add_stream("aac", rate=22050, layout="mono")
        audio.bit_rate = 32000
        for i in range(int(seconds * fps)):
            x = np.linspace(0, 255, width, dtype=np.float32)
            shift = 255 * i / (seconds * fps)
            row = ((x + shift) % 256).astype(np.uint8)
            rgb = np.stack([np.tile(row, (height, 1))] * 3, axis=-1)
            rgb[..., 1] = 90
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        samples = _tone(seconds, 22050, 330.0)
        chunk = 1024
        for start in range(0, len(samples), chunk):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + chunk].reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate = 22050
            frame.pts = start
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
    return path


def make_artwork(
    path: Path,
    size: int = 1400,
    *,
    label: str = "showpipe",
    color: tuple[int, int, int] = (40, 70, 140),
) -> Path:
    """Write square artwork (JPEG or PNG by extension) with a label."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(image)
    for i in range(0, size // 2, size // 14):
        draw.ellipse((i, i, size - i, size - i), outline=(255, 255, 255), width=max(1, size // 280))
    font = ImageFont.load_default(size=size // 10)
    draw.text((size / 2, size / 2), label, fill=(255, 230, 120), font=font, anchor="mm")
    image.save(path, quality=70) if path.suffix.lower() in (".jpg", ".jpeg") else image.save(path)
    return path


def make_poster(path: Path, size: tuple[int, int] = (640, 360), *, label: str = "showpipe") -> Path:
    """Write a 16:9 poster image (JPEG or PNG by extension), as video apps show."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    image = Image.new("RGB", size, (20, 20, 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        (width // 20, height // 10, width - width // 20, height - height // 10),
        outline=(255, 230, 120),
        width=max(1, width // 160),
    )
    font = ImageFont.load_default(size=height // 8)
    draw.text((width / 2, height / 2), label, fill=(255, 255, 255), font=font, anchor="mm")
    image.save(path, quality=70) if path.suffix.lower() in (".jpg", ".jpeg") else image.save(path)
    return path
