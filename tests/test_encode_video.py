"""Video masters: a non-H.264 master is published as an H.264/AAC MP4 with faststart, its
sound normalised, a poster frame taken from it, and it plays in Chromium's <video>."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
from lxml import etree
from PIL import Image

from masters import at_loudness, decode, speech_like
from sampleshow import publish_sample
from showpipe.config import Settings
from showpipe.media import BuildCache, HashCache, video
from showpipe.media.episodes import check_episode, tag_episode
from showpipe.media.renditions import rendition_path
from showpipe.model.episode import Episode
from showpipe.model.project import Project, load_project

SECONDS = 3
PODCAST = "https://podcastindex.org/namespace/1.0"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def make_video_master(path: Path, *, container: str, codec: str, audio: str) -> Path:
    """A moving picture (a bar sweeping right, the colour changing) with speech-like sound
    at -26 LUFS, in a container and codecs podcast apps do not all play."""
    fps, (width, height) = 25, (320, 180)
    sound = at_loudness(speech_like(SECONDS, 48000, 2), 48000, -26.0).astype(np.float32)
    with av.open(str(path), "w", format=container) as output:
        video = output.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sink = output.add_stream(audio, rate=48000, layout="stereo")
        for i in range(SECONDS * fps):
            rgb = np.zeros((height, width, 3), np.uint8)
            rgb[..., 0] = i * 255 // (SECONDS * fps)
            rgb[:, : (i + 1) * width // (SECONDS * fps), 1] = 200
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        for start in range(0, len(sound), 4800):
            block = sound[start : start + 4800].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="flt", layout="stereo")
            frame.sample_rate = 48000
            output.mux(sink.encode(frame))
        output.mux(sink.encode(None))
    return path


@pytest.fixture
def published_video(
    project: Path, settings: Settings, make_episode: Callable[..., Path]
) -> tuple[Path, Path, etree._Element]:
    """A Matroska master (MPEG-4 Part 2 picture, PCM sound) published as a video episode
    with no `poster:`; returns the master, the published folder and the feed's item."""
    master = make_video_master(
        project / "episodes" / "media" / "studio.mkv",
        container="matroska",
        codec="mpeg4",
        audio="pcm_s16le",
    )
    episode = make_episode("studio", audio=None, video="media/studio.mkv")
    storage = publish_sample(settings, [episode])
    feed = etree.parse(str(storage.root / "feeds" / "videos.xml"))
    [item] = feed.xpath("//item[guid='guid-studio']")
    return master, storage.root, item


def _local(root: Path, url: str) -> Path:
    return root / url.removeprefix("http://localhost:8000/")


def test_a_non_h264_master_is_published_as_h264_aac_mp4_with_faststart(
    published_video: tuple[Path, Path, etree._Element],
) -> None:
    master, root, item = published_video
    enclosure = item.find("enclosure")
    assert enclosure.get("type") == "video/mp4"
    path = _local(root, enclosure.get("url"))
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.duration / av.time_base == pytest.approx(SECONDS, abs=0.1)
    data = path.read_bytes()
    assert 0 < data.index(b"moov") < data.index(b"mdat")  # faststart: the index first
    samples, rate = decode(path)
    assert pyloudnorm.Meter(rate).integrated_loudness(samples) == pytest.approx(-16, abs=0.5)
    assert master.suffix == ".mkv" and master.exists()


def test_a_poster_frame_is_taken_at_a_tenth_of_the_video(
    published_video: tuple[Path, Path, etree._Element],
) -> None:
    _, root, item = published_video
    [poster] = item.xpath("p:image[@purpose='poster']/@href", namespaces={"p": PODCAST})
    with Image.open(_local(root, poster)) as image:
        assert image.format == "JPEG"
        assert image.size == (320, 180)
        red, green, _ = image.convert("RGB").getpixel((1, 90))
        # At 10% in, the red ramp is near 10% and the green bar has just begun.
        assert red == pytest.approx(255 * 0.1, abs=20) and green > 150
        assert image.convert("RGB").getpixel((200, 90))[1] < 50


def test_the_transcoded_video_plays_in_chromium(
    published_video: tuple[Path, Path, etree._Element], http_server: Callable[..., str]
) -> None:
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    _, root, item = published_video
    video = _local(root, item.find("enclosure").get("url"))
    (root / "play.html").write_text(f'<video id="v" muted src="{video.relative_to(root)}"></video>')
    base = http_server(root)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(base + "play.html")
            page.evaluate("document.getElementById('v').play()")
            page.wait_for_function("document.getElementById('v').currentTime > 0.5", timeout=20000)
            assert page.evaluate("document.getElementById('v').videoWidth") == 320
        finally:
            browser.close()


def webm_episode(
    project: Path, settings: Settings, make_episode: Callable[..., Path]
) -> tuple[Project, Episode]:
    """The project with an episode whose video is a WebM master (VP8 and Opus), and it."""
    make_video_master(
        project / "episodes" / "media" / "studio.webm", container="webm", codec="libvpx",
        audio="libopus",
    )  # fmt: skip
    episode_file = make_episode("studio", audio=None, video="media/studio.webm")
    show = load_project(settings)
    return show, show.episode_at(episode_file)


def test_a_video_master_is_probed_by_the_check_and_its_mp4_named_as_every_rendition_is(
    project: Path, settings: Settings, make_episode: Callable[..., Path]
) -> None:
    show, episode = webm_episode(project, settings, make_episode)
    cache = BuildCache(settings.cache_dir)

    [checked] = check_episode(show, episode, hashes=cache.hashes)
    [tagged] = tag_episode(show, episode, [checked], cache=cache)

    # What the check found travels with the file to the transcoding.
    assert checked.video == video.VideoProbe(pytest.approx(SECONDS, abs=0.1), "vp8", "opus")
    digest = cache.hashes.digest(checked.path)
    audio = replace(video.VIDEO_AUDIO, target=-16.0)
    made = rendition_path(cache.dir, digest, audio, crf=23)
    assert made.is_file() and made.name.startswith(digest[:32])
    assert made.name.endswith(f"-h264-crf23-{audio.key()}.mp4")
    assert tagged.info.content_type == "video/mp4"


def test_a_video_probe_is_remembered_until_the_file_changes(
    project: Path, settings: Settings, make_episode: Callable[..., Path]
) -> None:
    """`showpipe tag` probes a video master; its `publish` (a new run, a new hash cache)
    finds the probe kept. A master replaced since is probed again."""
    show, episode = webm_episode(project, settings, make_episode)
    assert episode.video is not None
    master = episode.video
    tagging = HashCache(settings.cache_dir)
    [first] = check_episode(show, episode, hashes=tagging)
    tagging.save()

    publishing = HashCache(settings.cache_dir)
    assert first.video is not None
    assert publishing.probed(master, "video") == [first.video.duration, "vp8", "opus"]
    [again] = check_episode(show, episode, hashes=publishing)
    assert again.video == first.video

    replaced = project / "episodes" / "media" / "other.mkv"
    make_video_master(replaced, container="matroska", codec="mpeg4", audio="pcm_s16le")
    replaced.replace(master)  # a webm name, Matroska inside: FFmpeg reads it by its content
    [after] = check_episode(show, episode, hashes=publishing)
    assert after.video is not None
    assert (after.video.video_codec, after.video.audio_codec) == ("mpeg4", "pcm_s16le")


def test_an_h264_aac_mp4_is_published_as_it_is_without_a_probe_to_keep(
    project: Path, settings: Settings
) -> None:
    show = load_project(settings)
    episode = show.episode_at(project / "episodes" / "on-tools.yaml")

    checked = {
        c.medium: c for c in check_episode(show, episode, hashes=HashCache(settings.cache_dir))
    }

    assert checked["video"].path.name == "on-tools.mp4"
    assert checked["video"].video is None
