"""What the page templates show, as plain values: the show, an episode, people, links.

Every link to a stored file is relative to the page that shows it (`link`), so the pages work
from any base URL; the absolute URLs that link cards, JSON-LD and oEmbed need are the ones the
feeds give (`Show.file_url`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from showpipe.feeds import Descriptions, clean_text, feed_key, file_urls
from showpipe.model.manifest import StoredFile
from showpipe.model.published import PublishedEpisode
from showpipe.model.show import Feed, Person
from showpipe.web.transcript import TEXT_TRACK_SUFFIXES, read_cues

INDEX_KEY = "index.html"


def episode_key(slug: str) -> str:
    """The episode's permalink, kept for the episode's life: its slug never changes."""
    return f"episodes/{slug}.html"


def embed_key(slug: str) -> str:
    return f"embed/{slug}.html"


def oembed_key(slug: str) -> str:
    return f"oembed/{slug}.json"


def link(target: StoredFile | str, page: str) -> str:
    """A file's URL relative to the page at `page`; a file on another host keeps its own URL.

    Keys are plain paths from the storage's root (no `..`), so climbing to the root and down
    again is exact, and much cheaper than posixpath.relpath on 100,000 links.
    """
    if isinstance(target, StoredFile) and target.url:
        return target.url
    key = target.key if isinstance(target, StoredFile) else target
    return "../" * page.count("/") + key


@dataclass(frozen=True)
class Show:
    """The show as its pages present it: the audio feed's channel (or the first feed)."""

    feed: Feed
    feeds: list[Feed]
    artwork: StoredFile | None
    public_url: str
    # The run's descriptions rendered to HTML, shared with its feeds.
    descriptions: Descriptions

    @cached_property
    def file_url(self) -> Callable[[StoredFile], str]:
        """A published file's absolute URL, for consumers that read a page without its base
        (cards, JSON-LD, oEmbed): the very URL the feeds give it (`feeds.file_urls`)."""
        return file_urls(self.public_url)


def show_view(show: Show, page: str) -> dict[str, Any]:
    feed = show.feed
    return {
        "title": clean_text(feed.title),
        "description": clean_text(feed.description),
        "author": clean_text(feed.author),
        "language": feed.language,
        "artwork": link(show.artwork, page) if show.artwork else "",
        "home": link(INDEX_KEY, page),
        "feeds": [
            {"title": clean_text(f.title), "href": link(feed_key(f), page)} for f in show.feeds
        ],
        "hosts": [person_view(p) for p in feed.hosts],
    }


def subscribe_links(show: Show) -> list[dict[str, str]]:
    """Links to the show in podcast apps and directories, from the IDs in the feed YAML."""
    found = show.feed.directories
    feed_url = show.public_url + feed_key(show.feed)
    links = []
    if found.apple_podcasts:
        links.append(
            ("Apple Podcasts", f"https://podcasts.apple.com/podcast/id{found.apple_podcasts}")
        )
    if found.spotify:
        links.append(("Spotify", f"https://open.spotify.com/show/{found.spotify}"))
    if found.apple_podcasts:
        links.append(("Overcast", f"https://overcast.fm/itunes{found.apple_podcasts}"))
    if found.pocket_casts:
        links.append(("Pocket Casts", f"https://pca.st/{found.pocket_casts}"))
    if found.antennapod:
        deeplink = "https://antennapod.org/deeplink/subscribe?url=" + quote(feed_url, safe="")
        links.append(("AntennaPod", deeplink))
    return [{"name": name, "href": href} for name, href in links]


def person_view(person: Person) -> dict[str, Any]:
    return {
        "name": clean_text(person.name),
        "role": person.role.capitalize(),
        "link": person.link,
        "image": person.image,
    }


def listing_view(published: PublishedEpisode, page: str) -> dict[str, Any]:
    """An episode as a line of a list: title, date, length and a link to its page."""
    episode, record = published.episode, published.record
    main = record.media.get("audio") or record.media.get("video")
    return {
        "slug": record.slug,
        "title": clean_text(episode.title),
        "summary": clean_text(episode.summary),
        "published": episode.published,
        "duration": main.duration if main else None,
        "season": episode.season,
        "number": episode.episode,
        "href": link(episode_key(record.slug), page),
    }


def episode_view(published: PublishedEpisode, page: str, *, show: Show) -> dict[str, Any]:
    """Everything an episode's page, embed and show-page entry show of it."""
    episode, record = published.episode, published.record
    audio, video = record.media.get("audio"), record.media.get("video")
    captions = next((t for t in record.transcripts if t.content_type == "text/vtt"), None)
    poster = record.poster or record.artwork or show.artwork
    artwork = record.artwork or show.artwork
    return {
        **listing_view(published, page),
        "type": episode.type,
        "season_name": show.feed.seasons.get(episode.season or 0),
        "description_html": show.descriptions.html(episode.description),
        "audio": link(audio, page) if audio else None,
        "audio_type": audio.content_type if audio else None,
        "video": link(video, page) if video else None,
        "video_type": video.content_type if video else None,
        "embed": link(embed_key(record.slug), page),
        "poster": link(poster, page) if poster else None,
        "artwork": link(artwork, page) if artwork else None,
        "captions": link(captions, page) if captions else None,
        "chapters": [
            {"start": c.start, "title": clean_text(c.title), "link": c.link}
            for c in episode.chapters
        ],
        "guests": [person_view(p) for p in episode.guests],
    }


def transcript_view(published: PublishedEpisode, page: str) -> dict[str, Any] | None:
    """The first published WebVTT or SRT transcript, as timed lines, with its file's link."""
    pairs = zip(published.episode.transcripts, published.record.transcripts, strict=False)
    for path, stored in pairs:
        if Path(path).suffix.lower() in TEXT_TRACK_SUFFIXES:
            cues = read_cues(Path(path))
            if cues:
                return {"href": link(stored, page), "cues": cues}
    return None
