"""What other sites read from an episode: link cards, JSON-LD, oEmbed and the embed snippet.

- Open Graph (https://ogp.me/) and Twitter's player card give a shared link its card.
- JSON-LD with schema.org PodcastEpisode, PodcastSeries and, for video, VideoObject
  (https://schema.org/VideoObject; search engines' video results want contentUrl, duration,
  uploadDate and thumbnailUrl).
- oEmbed (https://oembed.com/): a static JSON response per episode, found through the
  `<link rel="alternate" type="application/json+oembed">` on its page.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from showpipe.feeds import clean_text, feed_key
from showpipe.model.manifest import EpisodeRecord
from showpipe.model.published import PublishedEpisode
from showpipe.web.views import Show, embed_key, episode_key, oembed_key


@dataclass(frozen=True)
class Size:
    width: int
    height: int


# The video embed is all video: 16:9 at any width. The audio embed is a compact player.
VIDEO_EMBED = Size(640, 360)
AUDIO_EMBED = Size(480, 200)


def embed_size(record: EpisodeRecord) -> Size:
    return VIDEO_EMBED if "video" in record.media else AUDIO_EMBED


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration (schema.org's `duration`), like PT1H2M3S."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    return f"PT{text}{secs}S" if secs or not text else f"PT{text}"


def _thumbnail(published: PublishedEpisode, show: Show) -> str | None:
    record = published.record
    image = record.poster or record.artwork or show.artwork
    return show.file_url(image) if image else None


def link_card(published: PublishedEpisode, show: Show) -> dict[str, Any]:
    """The Open Graph and Twitter player card values of an episode page (absolute URLs)."""
    episode, record = published.episode, published.record
    base = show.public_url
    audio, video = record.media.get("audio"), record.media.get("video")
    size = embed_size(record)
    return {
        "url": base + episode_key(record.slug),
        "title": clean_text(episode.title),
        "description": clean_text(episode.summary),
        "site_name": clean_text(show.feed.title),
        "image": _thumbnail(published, show),
        "audio": {"url": show.file_url(audio), "type": audio.content_type} if audio else None,
        "video": {"url": show.file_url(video), "type": video.content_type} if video else None,
        "player": base + embed_key(record.slug),
        "width": size.width,
        "height": size.height,
        "oembed": base + oembed_key(record.slug),
    }


def series_ld(show: Show) -> dict[str, Any]:
    """The show as a schema.org PodcastSeries."""
    return {
        "@type": "PodcastSeries",
        "name": clean_text(show.feed.title),
        "url": show.public_url,
        "webFeed": show.public_url + feed_key(show.feed),
        "description": clean_text(show.feed.description),
        "author": {"@type": "Person", "name": clean_text(show.feed.author)},
    }


def json_ld(published: PublishedEpisode, show: Show) -> list[dict[str, Any]]:
    """schema.org objects for the episode page: the episode, its series and any video."""
    episode, record = published.episode, published.record
    base = show.public_url
    main = record.media.get("audio") or record.media.get("video")
    series = series_ld(show)
    item: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "url": base + episode_key(record.slug),
        "name": clean_text(episode.title),
        "description": clean_text(episode.summary),
        "datePublished": episode.published.isoformat(),
        "partOfSeries": series,
    }
    if episode.episode is not None:
        item["episodeNumber"] = episode.episode
    if episode.season is not None:
        item["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": episode.season}
    if main is not None:
        item["associatedMedia"] = {
            "@type": "MediaObject",
            "contentUrl": show.file_url(main),
            "encodingFormat": main.content_type,
        }
        if main.duration:
            item["associatedMedia"]["duration"] = iso_duration(main.duration)
    found = [item, {"@context": "https://schema.org", **series}]
    if (video := record.media.get("video")) is not None:
        found.append(_video_object(published, show, video.duration, show.file_url(video)))
    return found


def _video_object(
    published: PublishedEpisode, show: Show, duration: float | None, url: str
) -> dict[str, Any]:
    episode, slug = published.episode, published.record.slug
    video: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": clean_text(episode.title),
        "description": clean_text(episode.summary),
        "uploadDate": episode.published.isoformat(),
        "contentUrl": url,
        "embedUrl": show.public_url + embed_key(slug),
        "thumbnailUrl": _thumbnail(published, show),
    }
    if duration:
        video["duration"] = iso_duration(duration)
    return video


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no `</script>` or `<!--` can end it early."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def iframe(src: str, title: str, size: Size, *, responsive: bool) -> str:
    """An iframe of the embed page: responsive (full width, its aspect ratio), or sized."""
    if responsive and size == VIDEO_EMBED:
        box = f'style="width:100%;aspect-ratio:{size.width}/{size.height};height:auto;border:0"'
    elif responsive:
        box = f'style="width:100%;height:{size.height}px;border:0"'
    else:
        box = f'width="{size.width}" height="{size.height}" style="border:0;max-width:100%"'
    return (
        f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" {box} '
        'allow="fullscreen; picture-in-picture" loading="lazy"></iframe>'
    )


def embed_snippet(public_url: str, record: EpisodeRecord, title: str) -> str:
    """The iframe to paste into a website for an episode's player (video or audio)."""
    return iframe(
        public_url + embed_key(record.slug), f"Player: {title}", embed_size(record), responsive=True
    )


def oembed(published: PublishedEpisode, show: Show) -> dict[str, Any]:
    """The episode's oEmbed response: `video` for a video episode, `rich` for audio."""
    record = published.record
    size = embed_size(record)
    title = clean_text(published.episode.title)
    src = show.public_url + embed_key(record.slug)
    response: dict[str, Any] = {
        "version": "1.0",
        "type": "video" if "video" in record.media else "rich",
        "title": title,
        "author_name": clean_text(show.feed.author),
        "author_url": show.public_url,
        "provider_name": clean_text(show.feed.title),
        "provider_url": show.public_url,
        "html": iframe(src, f"Player: {title}", size, responsive=False),
        "width": size.width,
        "height": size.height,
    }
    thumbnail = record.poster or record.artwork or show.artwork
    if thumbnail is not None:
        response["thumbnail_url"] = show.file_url(thumbnail)
        if thumbnail.width and thumbnail.height:
            response["thumbnail_width"] = thumbnail.width
            response["thumbnail_height"] = thumbnail.height
    return response
