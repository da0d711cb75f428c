"""Tagging an episode's media: the tag set from the YAML, checks first, then tagged copies.

Everything is checked (media types and durations, chapters, artwork) before the first tagged
copy is written, so a bad file stops the run with nothing written. How each file is probed
for those checks is `media.episodeprobe`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from showpipe.config import Settings
from showpipe.errors import EpisodeError, MediaError, shown
from showpipe.media import (
    BuildCache,
    ChapterMark,
    HashCache,
    ImageInfo,
    MediaInfo,
    Picture,
    TaggedFile,
    TagSet,
    check_artwork,
    find_tagged_copy,
    tagged_copy,
    timestamp,
)
from showpipe.media.encode import Encoded
from showpipe.media.episodeprobe import (
    MEDIA,
    CheckedMedia,
    alternates_of,
    feed_for,
    image_probe,
    pointed,
    probe_medium,
)
from showpipe.media.renditions import is_master, make_renditions, wanted
from showpipe.media.renditions import terminal as bars
from showpipe.media.video import poster_from, video_rendition
from showpipe.model.episode import Episode
from showpipe.model.project import Project, load_project, missing_files
from showpipe.model.show import Feed
from showpipe.model.yamlfile import line_in_file


def _check_chapters(episode: Episode, path: Path, duration: float) -> None:
    for i, chapter in enumerate(episode.chapters):
        if not chapter.start < duration:
            line = line_in_file(episode.source, ("chapters", i, "start"))
            raise EpisodeError(
                f"{shown(episode.source)}:{line}: chapters[{i}].start: "
                f"{timestamp(chapter.start)} is not inside {shown(path)}, "
                f"which lasts {timestamp(duration)}"
            )


def check_artwork_of(episode: Episode, feeds: list[Feed], *, hashes: HashCache) -> None:
    """Check the show artwork of `feeds`, and the episode's artwork and chapter images (an
    image probed before and unchanged since, as `hashes` remembers, is not read again).

    Raises:
        MediaError: an image breaks Apple's artwork rules (the file is named).
    """
    probe = image_probe(hashes)
    for feed in feeds:
        check_artwork(feed.artwork, show=True, probe=probe)
    if episode.artwork:
        check_artwork(episode.artwork, probe=probe)
    for chapter in episode.chapters:
        if chapter.image:
            check_artwork(chapter.image, square=False, probe=probe)


def check_episode(project: Project, episode: Episode, *, hashes: HashCache) -> list[CheckedMedia]:
    """Probe the episode's media and check its chapters and artwork; write nothing. A file
    probed before and unchanged since, as `hashes` remembers, is not read again (an episode
    tagged with `showpipe tag`, then published).

    Raises:
        MediaError: a media file or image is invalid.
        EpisodeError: a chapter starts outside a media file's duration.
    """
    checked = []
    for medium in MEDIA:
        path = episode.media(medium)
        if path is not None:
            feed = feed_for(project, medium)
            try:
                info, video = probe_medium(path, medium, feed, hashes)
            except MediaError as e:
                raise pointed(e, episode, medium, path) from e
            _check_chapters(episode, path, info.duration)
            checked.append(CheckedMedia(medium, path, info, feed, video))
    feeds = list({c.feed.name: c.feed for c in checked}.values())
    check_artwork_of(episode, feeds, hashes=hashes)
    # Probed now, so that a bad one stops the run before anything is tagged.
    alternates_of(project, episode, checked, hashes=hashes)
    return checked


def _picture(path: Path, probe: Callable[[Path], ImageInfo]) -> Picture:
    return Picture(path, check_artwork(path, square=False, probe=probe).content_type)


def _chapter_marks(
    episode: Episode, duration: float, probe: Callable[[Path], ImageInfo]
) -> tuple[ChapterMark, ...]:
    if not episode.chapters:
        return ()
    ends = [c.start for c in episode.chapters[1:]] + [duration]
    return tuple(
        ChapterMark(
            start=c.start,
            end=end,
            title=c.title,
            link=c.link,
            image=_picture(c.image, probe) if c.image else None,
        )
        for c, end in zip(episode.chapters, ends, strict=True)
    )


def build_tags(
    project: Project,
    episode: Episode,
    media: CheckedMedia,
    *,
    id3_version: int = 4,
    hashes: HashCache,
) -> TagSet:
    """Everything written into one of the episode's media files (`hashes`: as in
    `check_episode`)."""
    feed, probe = media.feed, image_probe(hashes)
    return TagSet(
        title=episode.title,
        artists=tuple(host.name for host in feed.hosts),
        album=feed.title,
        album_artist=feed.author,
        date=episode.published.date().isoformat(),
        summary=episode.summary,
        description=episode.description,
        feed_url=f"{project.settings.public_url}feeds/{feed.name}.xml",
        guid=episode.guid,
        episode=episode.episode,
        season=episode.season,
        copyright=feed.copyright,
        category=feed.categories[0].category,
        keywords=tuple(episode.keywords),
        cover=_picture(episode.artwork or feed.artwork, probe),
        chapters=_chapter_marks(episode, media.info.duration, probe),
        id3_version=id3_version,
    )


@dataclass(frozen=True)
class TaggedMedia:
    """A media file of an episode and its tagged copy in the build cache."""

    medium: str
    info: MediaInfo
    copy: TaggedFile
    alternate: bool = False  # an encoded alternate rendition (podcast:alternateEnclosure)
    encoded: Encoded | None = None  # how it was encoded from a master, if it was
    poster: Path | None = None  # a frame of the video, when the episode names no poster


def _label(episode: Episode, media: CheckedMedia) -> str:
    return f"{episode.slug}-{media.medium}"


def tag_episode(
    project: Project,
    episode: Episode,
    checked: list[CheckedMedia],
    *,
    cache: BuildCache,
    id3_version: int = 4,
) -> list[TaggedMedia]:
    """Write (or reuse) the tagged copies of the episode's media; the originals are only read.

    Args:
        project: the project (feeds and settings).
        episode: the episode, with its GUID if it has one.
        checked: what `check_episode` returned for it.
        cache: the run's build cache, where the copies go.
        id3_version: 4, or 3 for old players (MP3 only).

    Raises:
        MediaError: a copy could not be tagged, or its tags did not read back as written.
    """
    tagged = []
    # An episode's audio is an alternate enclosure of its video and the other way round;
    # only alternates carry podcast:integrity, so only then is the SRI worth a read.
    integrity = len(checked) > 1
    for media in checked:
        tagged += _tag_media(
            project, episode, media, cache=cache, id3_version=id3_version, integrity=integrity
        )
    return tagged + _tag_alternates(project, episode, checked, cache=cache, id3_version=id3_version)


def _tag_media(
    project: Project,
    episode: Episode,
    media: CheckedMedia,
    *,
    cache: BuildCache,
    id3_version: int,
    integrity: bool,
) -> list[TaggedMedia]:
    """Tag one of the episode's media files: a master's renditions, a transcoded video's
    MP4 (with a poster frame when the episode names none), or the file as it is."""
    tags = build_tags(project, episode, media, id3_version=id3_version, hashes=cache.hashes)
    label = _label(episode, media)
    source = media.path
    try:  # a master that cannot be encoded (silent, say) is named by its YAML line
        if media.medium == "audio" and is_master(source, media.feed.encoding):
            return _tag_renditions(media, tags, label, cache, integrity=integrity)
        if media.video is not None:
            source = video_rendition(source, media.feed.encoding, probe=media.video, cache=cache)
    except MediaError as e:
        raise pointed(e, episode, media.medium, media.path) from e
    copy = tagged_copy(source, tags, cache=cache, label=label, integrity=integrity)
    poster = None
    if media.medium == "video" and episode.poster is None:
        at = media.feed.encoding.poster_at
        poster = poster_from(copy.path, copy.digest, at=at, cache_dir=cache.dir)
    return [TaggedMedia(media.medium, media.info, copy, poster=poster)]


def _tag_alternates(
    project: Project,
    episode: Episode,
    checked: list[CheckedMedia],
    *,
    cache: BuildCache,
    id3_version: int,
) -> list[TaggedMedia]:
    """Tag the renditions the episode lists under `alternates:` like its main enclosure:
    an app that plays the Opus alternate shows the same title, cover and chapters."""
    tagged = []
    for media, label in alternates_of(project, episode, checked, hashes=cache.hashes):
        tags = build_tags(project, episode, media, id3_version=id3_version, hashes=cache.hashes)
        copy = tagged_copy(media.path, tags, cache=cache, label=label, integrity=True)
        tagged.append(TaggedMedia(media.medium, media.info, copy, alternate=True))
    return tagged


def _tag_renditions(
    media: CheckedMedia, tags: TagSet, label: str, cache: BuildCache, *, integrity: bool
) -> list[TaggedMedia]:
    """Encode (or reuse) a master's renditions, then tag each as the main enclosure would be."""
    settings = wanted(media.feed.encoding)
    encoded = make_renditions(
        media.path, settings, hashes=cache.hashes, cache_dir=cache.dir, bars=bars()
    )
    tagged = []
    for i, rendition in enumerate(encoded):
        spec = rendition.settings.spec
        info = MediaInfo(content_type=spec.content_type, duration=media.info.duration)
        # Alternates carry podcast:integrity, so their SRI is worth computing.
        copy = tagged_copy(
            rendition.path,
            tags,
            cache=cache,
            label=label if i == 0 else f"{label}-alt{i}",
            integrity=integrity or i > 0,
        )
        tagged.append(TaggedMedia(media.medium, info, copy, alternate=i > 0, encoded=rendition))
    return tagged


def _check_episodes(
    settings: Settings, episode_files: list[Path], cache: BuildCache
) -> tuple[Project, list[tuple[Episode, list[CheckedMedia]]]]:
    project = load_project(settings)
    chosen = [project.episode_at(path) for path in episode_files]
    missing = missing_files(project, chosen)
    if missing:
        raise EpisodeError("\n".join(missing))
    return project, [(e, check_episode(project, e, hashes=cache.hashes)) for e in chosen]


def tag_episodes(
    settings: Settings, episode_files: list[Path], *, id3_version: int = 4
) -> list[TaggedMedia]:
    """Check the given episodes, then make (or reuse) their tagged copies (`showpipe tag`).

    Raises:
        EpisodeError: an episode is not part of the project, or names missing files.
        MediaError: a media or image file is invalid, or could not be tagged.
    """
    cache = BuildCache(settings.cache_dir)
    project, checked = _check_episodes(settings, episode_files, cache)
    return [
        tagged
        for episode, media in checked
        for tagged in tag_episode(project, episode, media, cache=cache, id3_version=id3_version)
    ]


def plan_tagging(
    settings: Settings, episode_files: list[Path], *, id3_version: int = 4
) -> list[tuple[Path, Path | None]]:
    """Check the given episodes; for each media file, its up-to-date tagged copy or None
    when it would be tagged (`showpipe tag --dry-run`). Writes nothing.

    Raises:
        EpisodeError: an episode is not part of the project, or names missing files.
        MediaError: a media or image file is invalid.
    """
    cache = BuildCache(settings.cache_dir)
    project, checked = _check_episodes(settings, episode_files, cache)
    labelled = []
    for episode, media_files in checked:
        labelled += [(episode, media, _label(episode, media)) for media in media_files]
        alternates = alternates_of(project, episode, media_files, hashes=cache.hashes)
        labelled += [(episode, media, label) for media, label in alternates]
    return [
        (
            media.path,
            find_tagged_copy(
                media.path,
                build_tags(project, episode, media, id3_version=id3_version, hashes=cache.hashes),
                cache=cache,
                label=label,
            ),
        )
        for episode, media, label in labelled
    ]


def media_problems(
    project: Project, episodes: list[Episode] | None = None, *, hashes: HashCache
) -> list[str]:
    """The first media, chapter or artwork problem of each feed and of the given episodes
    (default: all), for `check` (`hashes`: as in `check_episode`)."""
    problems: dict[str, None] = {}  # ordered, without repeats of a shared feed's artwork
    for feed in project.feeds:
        try:
            check_artwork(feed.artwork, show=True, probe=image_probe(hashes))
        except MediaError as e:
            problems[str(e)] = None
    for episode in project.episodes if episodes is None else episodes:
        try:
            check_episode(project, episode, hashes=hashes)
        except (MediaError, EpisodeError) as e:
            problems[str(e)] = None
    return list(problems)
