from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mediafactory import make_artwork

from showpipe.errors import MediaError, shown
from showpipe.media import probe_image, probe_media


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("tone.mp3", "audio/mpeg"),
        ("tone.m4a", "audio/mp4"),
        ("tone.opus", "audio/ogg"),
        ("tone.flac", "audio/flac"),
        ("clip.mp4", "video/mp4"),
    ],
)
def test_probe_finds_type_and_duration_from_content(
    media_dir: Path, name: str, content_type: str
) -> None:
    info = probe_media(media_dir / name)
    assert info.content_type == content_type
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_audio_only_mp4_is_audio(media_dir: Path, tmp_path: Path) -> None:
    path = shutil.copy(media_dir / "tone.m4a", tmp_path / "tone.mp4")
    assert probe_media(Path(path)).content_type == "audio/mp4"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d, p: p.write_bytes(b""), "file is empty"),
        (lambda d, p: p.write_bytes(bytes(range(256)) * 40), "not a valid MP3 file"),
        (lambda d, p: shutil.copy(d / "clip.mp4", p), "not a valid MP3 file"),
        (lambda d, p: p.write_bytes((d / "tone.mp3").read_bytes()[:20]), "not a valid MP3 file"),
    ],
    ids=["empty", "random-bytes", "mp4-named-mp3", "truncated"],
)
def test_bad_media_is_rejected_naming_the_file(
    media_dir: Path, tmp_path: Path, make, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "episode.mp3"
    make(media_dir, path)
    with pytest.raises(MediaError) as raised:
        probe_media(path)
    assert str(raised.value).startswith(shown(path)) and message in str(raised.value)


def test_video_named_m4a_is_rejected(media_dir: Path, tmp_path: Path) -> None:
    path = Path(shutil.copy(media_dir / "clip.mp4", tmp_path / "clip.m4a"))
    with pytest.raises(MediaError, match="content is video/mp4, which does not match '.m4a'"):
        probe_media(path)


def test_unknown_extension_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(b"RIFF")
    with pytest.raises(MediaError, match="unsupported media extension '.wav'"):
        probe_media(path)


def test_probe_image(tmp_path: Path) -> None:
    info = probe_image(make_artwork(tmp_path / "a.png", 64))
    assert (info.content_type, info.width, info.height) == ("image/png", 64, 64)
    bad = tmp_path / "b.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(MediaError, match="not a readable JPEG or PNG"):
        probe_image(bad)


@pytest.mark.parametrize("name", ["tone.mp3", "clip.mp4", "tone.opus", "tone.flac"])
def test_truncated_file_that_still_parses_is_rejected(
    media_dir: Path, tmp_path: Path, name: str
) -> None:
    data = (media_dir / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(MediaError, match="file is truncated"):
        probe_media(path)
    path.write_bytes(data)
    assert probe_media(path).duration > 0


@pytest.mark.parametrize("cut", [1, 100])
def test_a_flac_file_cut_inside_its_last_frame_is_truncated(
    media_dir: Path, tmp_path: Path, cut: int
) -> None:
    """Its last frame header still parses: only the frame's CRC shows the bytes missing."""
    data = (media_dir / "tone.flac").read_bytes()
    path = tmp_path / "tone.flac"
    path.write_bytes(data[:-cut])
    with pytest.raises(MediaError, match="file is truncated"):
        probe_media(path)


def test_an_image_replaced_in_place_is_probed_again(tmp_path: Path) -> None:
    """Probes are remembered per file stamp: new artwork under the same name is seen."""
    path = make_artwork(tmp_path / "art.png", 64)
    assert probe_image(path).width == 64
    make_artwork(tmp_path / "art.png", 96)
    assert probe_image(path).width == 96
    path.write_bytes(b"not an image any more")
    with pytest.raises(MediaError, match="not a readable JPEG or PNG"):
        probe_image(path)
