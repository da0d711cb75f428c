"""Regenerate the sample show's media and artwork (`make sample-media`)."""

from __future__ import annotations

from pathlib import Path

from mediafactory import make_artwork, make_audio, make_poster, make_video

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    media = ROOT / "episodes" / "media"
    make_artwork(ROOT / "feeds" / "artwork" / "show.jpg", label="The Sample Show")
    make_artwork(
        ROOT / "feeds" / "artwork" / "videos.jpg", label="Sample Show Video", color=(120, 40, 60)
    )
    make_audio(media / "pilot.mp3", 20, pitch=392.0)
    make_audio(media / "on-tools.mp3", 25, pitch=440.0)
    make_video(media / "on-tools.mp4", 12, size=(320, 180))
    make_audio(media / "listener-mail.mp3", 15, pitch=523.0)
    make_artwork(media / "on-tools.jpg", label="On Tools", color=(30, 110, 80))
    # an Opus rendition (podcast:alternateEnclosure) and a 16:9 poster for the video feed
    make_audio(media / "on-tools.opus", 25, pitch=440.0)
    make_poster(media / "on-tools-poster.jpg", label="On Tools")
    total = sum(
        p.stat().st_size for p in (*media.iterdir(), *(ROOT / "feeds" / "artwork").iterdir())
    )
    print(f"sample media: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
