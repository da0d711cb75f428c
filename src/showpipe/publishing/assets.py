"""What an episode publishes: each file measured, hashed and given its object key.

Keys are content-addressed, so a new file gets a new URL and caches never serve stale
bytes; media is described as its tagged copy, which is what is uploaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from slugify import slugify

from showpipe.config import Settings
from showpipe.digests import data_digest, file_digests
from showpipe.errors import EpisodeError
from showpipe.feeds import CHAPTERS_TYPE, chapters_json
from showpipe.media.hashes import HashCache
from showpipe.model.episode import Episode
from showpipe.model.fields import TRANSCRIPT_TYPES
from showpipe.model.manifest import SAFE_KEY, EpisodeRecord, StoredFile

if TYPE_CHECKING:  # the tagging code, which this module only names
    from showpipe.media.episodes import TaggedMedia


def stored_file(
    path: Path,
    folder: str,
    slug: str,
    content_type: str,
    *,
    hashes: HashCache | None,
    duration: float | None = None,
    width: int | None = None,
    height: int | None = None,
) -> StoredFile:
    """A local file as it will be stored.

    With `hashes`, a file unchanged since it was last measured is not read again (a big
    alternate rendition, say); without, it is read, which suits small files like artwork.
    """
    digest, sri = hashes.digests(path) if hashes else file_digests(path)
    size = path.stat().st_size
    key = object_key(folder, slug, digest, path.suffix)
    return StoredFile(key, size, digest, content_type, duration, sri, width, height)


def object_key(folder: str, slug: str, digest: str, suffix: str) -> str:
    """A safe object key: `folder/slug-hash.ext`, URL-safe ASCII, no `..`, no leading `/`.

    Content-addressed: a new file gets a new URL, so caches never serve stale bytes. The
    slug is normalised (NFKD, ASCII, lowercase, `-` between words) whatever the file name.
    """
    name = slugify(slug, max_length=80) or "episode"
    extension = re.sub(r"[^a-z0-9]", "", suffix.lower())[:10]
    key = f"{folder}/{name}-{digest[:12]}" + (f".{extension}" if extension else "")
    assert SAFE_KEY.fullmatch(key), key  # slugify's output cannot break this
    return key


def image_file(
    path: Path, slug: str, *, hashes: HashCache | None, published: StoredFile | None = None
) -> StoredFile:
    """An image as it will be stored; `published` is how it was last published, reused as
    it is when the file's bytes are the same (its size in pixels need not be read again)."""
    if published is not None:
        digest, sri = hashes.digests(path) if hashes else file_digests(path)
        same_key = published.key == object_key("art", slug, digest, path.suffix)
        if same_key and (digest, sri) == (published.digest, published.sri):
            return published
    # Only here: runs that measure no image need neither.
    from showpipe.media.episodeprobe import image_probe
    from showpipe.media.probe import probe_image

    info = (image_probe(hashes) if hashes else probe_image)(path)
    return stored_file(
        path, "art", slug, info.content_type, hashes=hashes, width=info.width, height=info.height
    )


def chapters_file(
    episode: Episode, record: EpisodeRecord, settings: Settings, *, hashes: HashCache
) -> tuple[EpisodeRecord, list[tuple[StoredFile, Path]]]:
    """Generate the episode's JSON chapters file into the cache, to publish beside the media."""
    if not episode.chapters or episode.chapters_url:
        return record, []
    data = chapters_json(episode, record.chapter_images, public_url=settings.public_url)
    digest = data_digest(data)
    path = settings.cache_dir / "chapters" / f"{record.slug}-{digest[:12]}.json"
    if not path.is_file():
        # A cache file named by its content: writing it during planning changes nothing visible.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    stored = stored_file(path, "chapters", record.slug, CHAPTERS_TYPE, hashes=hashes)
    return replace(record, chapters=stored), [(stored, path)]


def transcript_file(path: Path, slug: str, *, hashes: HashCache) -> StoredFile:
    """A transcript as stored: its content type comes from the allow-list, by extension,
    never from a guess (an `.svg` or `.js` would run on the show's origin)."""
    content_type = TRANSCRIPT_TYPES.get(path.suffix.lower())
    if content_type is None:  # the model refuses these: a second guard, where it is served
        raise EpisodeError(f"{path}: not a transcript type (use {', '.join(TRANSCRIPT_TYPES)})")
    return stored_file(path, "transcripts", slug, content_type, hashes=hashes)


def kept_elsewhere(episode: Episode, record: EpisodeRecord) -> EpisodeRecord:
    """Add the files that stay on another host (imported shows) to the record, as given."""
    media = dict(record.media)
    for medium in ("audio", "video"):
        remote = episode.remote(medium)
        if remote is not None:
            media[medium] = StoredFile(
                key="", size=remote.length, digest="", content_type=remote.type,
                duration=remote.duration, url=remote.url,
            )  # fmt: skip
    transcripts = [
        StoredFile(key="", size=0, digest="", content_type=t.type, url=t.url)
        for t in episode.remote_transcripts
    ]
    alternates = [
        StoredFile(
            key="", size=a.length, digest="", content_type=a.type, duration=a.duration, url=a.url
        )
        for a in episode.remote_alternates
    ]
    chapters = record.chapters
    if episode.chapters_url:
        chapters = StoredFile(
            key="", size=0, digest="", content_type=CHAPTERS_TYPE, url=episode.chapters_url
        )
    return replace(
        record,
        media=media,
        transcripts=record.transcripts + transcripts,
        chapters=chapters,
        alternates=record.alternates + alternates,
    )


def tagged_file(
    tagged: TaggedMedia, slug: str, *, recording: str, published: StoredFile | None
) -> StoredFile:
    """The manifest entry of a tagged copy: what is uploaded is the copy, not the source.

    Its key follows the recording (`recording` is its digest), not the tags: fixing a typo
    replaces the object at the same URL, so apps, CDNs and download counts see one episode
    file. A file `published` before keys were made this way keeps its key until its
    recording changes.
    """
    copy = tagged.copy
    key = object_key("media", slug, recording, copy.path.suffix)
    if published is not None and published.recording in (None, recording):
        key = published.key
    content_type = tagged.info.content_type
    from showpipe.media.probe import probe_video_size  # only here: publish, not cron

    size = probe_video_size(copy.path) if content_type.startswith("video/") else None
    width, height = size or (None, None)
    duration = round(tagged.info.duration, 3)
    return StoredFile(
        key,
        copy.size,
        copy.digest,
        content_type,
        duration,
        copy.sri,
        width,
        height,
        recording=recording,
    )


def describe_episode(
    episode: Episode,
    tagged: Sequence[TaggedMedia],
    settings: Settings,
    *,
    hashes: HashCache,
    published: EpisodeRecord | None = None,
) -> tuple[EpisodeRecord, list[tuple[StoredFile, Path]]]:
    """Hash every file of an episode: its manifest record and the files behind it.

    Args:
        episode: the episode.
        tagged: its media files' tagged copies (from `tagging.tag_episode`).
        settings: where the generated chapters file goes, and the public URL it names.
        hashes: the run's remembered digests (the caller saves them, once for many calls).
        published: the episode's record in the storage's manifest, if it was published.

    Raises:
        MediaError: an image file is invalid.
    """
    slug = episode.public_slug
    files: list[tuple[StoredFile, Path]] = []
    media: dict[str, StoredFile] = {}
    encoded: list[StoredFile] = []  # alternate renditions, tagged
    for copy in tagged:
        recording = hashes.digest(copy.copy.source)
        before = published.media.get(copy.medium) if published and not copy.alternate else None
        stored = tagged_file(copy, slug, recording=recording, published=before)
        files.append((stored, copy.copy.path))
        if copy.alternate:
            encoded.append(stored)
        else:
            media[copy.medium] = stored
    # Encoded renditions, then the episode's own `alternates:`, all tagged copies.
    alternates = encoded
    # No poster given: the frame taken from the video, if there is one.
    poster_path = episode.poster or next((t.poster for t in tagged if t.poster), None)
    poster = image_file(poster_path, slug, hashes=hashes) if poster_path else None
    files += [(poster, poster_path)] if poster and poster_path else []
    artwork = image_file(episode.artwork, slug, hashes=hashes) if episode.artwork else None
    transcripts = [transcript_file(p, slug, hashes=hashes) for p in episode.transcripts]
    images = [c.image for c in episode.chapters if c.image]
    chapter_images = [image_file(path, slug, hashes=hashes) for path in images]
    files += [(artwork, episode.artwork)] if artwork and episode.artwork else []
    files += zip(transcripts, episode.transcripts, strict=True)
    files += zip(chapter_images, images, strict=True)
    record = EpisodeRecord(
        slug, media, artwork, transcripts, chapter_images, alternates=alternates, poster=poster
    )
    record, chapters = chapters_file(episode, record, settings, hashes=hashes)
    return kept_elsewhere(episode, record), files + chapters
