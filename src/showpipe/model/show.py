"""The show's values (Feed, Episode, Person, Chapter …) and loading them from YAML.

Every YAML file of the project goes through `load_feed` / `load_episode`; each reports all
of a file's problems at once as `file:line: field: message`. The field types and the
vocabularies they are checked against live in `showpipe.model.fields`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from slugify import slugify

from showpipe.errors import ValidationError, shown
from showpipe.model.fields import (
    MAX_CHAPTERS,
    MAX_LENGTH,
    REMOTE_TRANSCRIPT_TYPES,
    AnalyticsPrefix,
    Email,
    FeedName,
    Language,
    LocalFile,
    Number,
    ProblemAt,
    Seconds,
    Text,
    Title,
    Transcript,
    Url,
    apple_categories,
    check_plain,
    did_you_mean,
    license_slugs,
    person_roles,
)
from showpipe.model.yamlfile import (
    YamlProblem,
    line_of,
    parse_yaml,
    parse_yaml_fast,
    read_yaml_bytes,
)
from showpipe.parallel import render_each

# From this many episode files to validate, they are validated on every core.
PARALLEL_LOAD_FROM = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @pydantic.field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # Every text of the show, not only titles: a terminal escape in a copyright line or a
        # season's name would reach every listener's app and every ID3 frame.
        check_plain(value)
        return value


# --- the show ----------------------------------------------------------------------------


class Person(_Strict):
    """A host or guest; becomes a podcast:person."""

    name: Annotated[str, Field(min_length=1, max_length=128)]
    role: str = "host"
    # podcast:person groups, from the Podcast Taxonomy Project (default "cast").
    group: str | None = None
    link: Url | None = None
    image: Url | None = None

    @pydantic.model_validator(mode="after")
    def _in_the_taxonomy(self) -> Person:
        roles = person_roles()
        if self.role.lower() not in roles:
            hint = did_you_mean(self.role, sorted(roles))
            raise ValueError(f"role '{self.role}' is not in the podcast:person taxonomy{hint}")
        if self.group is not None and self.group.lower() not in set(roles.values()):
            hint = did_you_mean(self.group, sorted(set(roles.values())))
            raise ValueError(f"group '{self.group}' is not in the podcast:person taxonomy{hint}")
        return self


class Owner(_Strict):
    name: Text
    email: Email


class Category(_Strict):
    """An Apple Podcasts category, optionally with one of its subcategories."""

    category: Text
    subcategory: str | None = None

    @pydantic.model_validator(mode="after")
    def _on_apples_list(self) -> Category:
        categories = apple_categories()
        if self.category not in categories:
            hint = did_you_mean(self.category, categories)
            raise ValueError(f"'{self.category}' is not an Apple Podcasts category{hint}")
        subs = categories[self.category]
        if self.subcategory is not None and self.subcategory not in subs:
            hint = did_you_mean(self.subcategory, subs)
            raise ValueError(f"'{self.subcategory}' is not a subcategory of {self.category}{hint}")
        return self


class Funding(_Strict):
    """A podcast:funding link (Podcasting 2.0): where listeners can support the show."""

    url: Url
    text: Annotated[str, Field(min_length=1, max_length=128)]


class License(_Strict):
    """A podcast:license: an SPDX-style slug, and a URL for a custom licence."""

    slug: Annotated[str, Field(min_length=1, max_length=128)]
    url: Url | None = None

    @pydantic.model_validator(mode="after")
    def _known_or_linked(self) -> License:
        if self.url is None and self.slug not in license_slugs():
            raise ValueError(
                f"license '{self.slug}' is not a known slug; give its url for a custom licence"
            )
        return self


class PodrollItem(_Strict):
    """Another show recommended in podcast:podroll, named by its podcast:guid."""

    feed_guid: uuid.UUID
    feed_url: Url | None = None


class UpdateFrequency(_Strict):
    """podcast:updateFrequency: how often new episodes come, in words and as an RRULE."""

    text: Annotated[str, Field(min_length=1, max_length=128)]
    rrule: str | None = None
    complete: bool = False


class ValueRecipient(_Strict):
    """One podcast:valueRecipient: who receives what share of value-for-value payments."""

    name: Annotated[str, Field(max_length=128)] | None = None
    type: Annotated[str, Field(min_length=1, max_length=32)]  # "node", "lnaddress", …
    address: Annotated[str, Field(min_length=1, max_length=256)]
    split: Annotated[int, Field(ge=0)]
    fee: bool = False
    custom_key: str | None = None
    custom_value: str | None = None


class Value(_Strict):
    """podcast:value (value-for-value): how listeners' apps pay the show while listening."""

    type: Annotated[str, Field(min_length=1, max_length=32)] = "lightning"
    method: Annotated[str, Field(min_length=1, max_length=32)] = "keysend"
    suggested: str | None = None
    recipients: list[ValueRecipient] = Field(min_length=1)


class Notify(_Strict):
    """Whom to tell when the feed changes, so apps fetch it at once instead of polling."""

    websub: list[Url] = []  # WebSub hubs (also announced in the feed as atom:link rel="hub")
    podping: bool = False  # needs SHOWPIPE_PODPING_TOKEN in the environment
    podcast_index: bool = False  # the Podcast Index's pubnotify


class Directories(_Strict):
    """The show's entries in podcast directories, for the show page's subscribe links."""

    # The number in podcasts.apple.com/podcast/id<N>; Overcast finds shows by it too.
    apple_podcasts: Annotated[int, Field(gt=0, lt=10**12)] | None = None
    # The 22-character show ID in open.spotify.com/show/<ID>.
    spotify: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{22}$")] | None = None
    # The short ID in pca.st/<ID> (Pocket Casts' share link).
    pocket_casts: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")] | None = None
    # AntennaPod subscribes by the feed's own URL: set false to leave its link out.
    antennapod: bool = True


class Rendition(_Strict):
    """How a feed encodes an audio master (docs/encoding.md): unset fields take the defaults
    there (MP3 128 kbit/s stereo at 44.1 kHz; Opus at 48 kHz; -16 LUFS stereo, -19 mono)."""

    format: Literal["mp3", "aac", "opus"] = "mp3"
    bitrate: Annotated[int, Field(ge=16, le=320)] | None = None  # kbit/s
    channels: Literal[1, 2] = 2
    sample_rate: Literal[32000, 44100, 48000] | None = None
    # Integrated loudness target in LUFS (BS.1770-4), or "off" to keep the master's level.
    loudness: Annotated[float, Field(ge=-30, le=-9)] | Literal["off"] | None = None
    true_peak: Annotated[float, Field(ge=-9, le=0)] = -1.0


class Encoding(Rendition):
    """A feed's main rendition, its alternate renditions, and whether to re-encode files
    that are already MP3 or M4A (by default they are published as they are)."""

    alternates: list[Rendition] = []
    reencode: bool = False
    # Video feeds: x264's constant quality for a transcoded video (lower is better, 18-28
    # is sensible), and where the poster frame is taken when an episode names no `poster:`.
    crf: Annotated[int, Field(ge=0, le=51)] = 23
    poster_at: Annotated[float, Field(ge=0, lt=1)] = 0.1


class Feed(_Strict):
    """One RSS feed (`feeds/<name>.yaml`): the show's channel for one medium."""

    name: FeedName = Field(exclude=True)
    title: Title
    description: Text
    link: Url
    language: Language
    copyright: str | None = None
    author: Text
    owner: Owner
    hosts: list[Person] = Field(min_length=1)
    artwork: LocalFile
    categories: list[Category] = Field(min_length=1)
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    # "audio_or_video" lists every episode: its audio where it has some, else its video
    # (a show whose old feed mixed audio and video items).
    medium: Literal["audio", "video", "audio_or_video"] = "audio"
    # Podcasting 2.0 and Apple's situational tags; all optional.
    # podcast:guid is the UUIDv5 of the feed URL unless set: set it to keep it when moving.
    podcast_guid: uuid.UUID | None = None
    locked: bool = False
    new_feed_url: Url | None = None
    block: bool = False
    complete: bool = False
    funding: list[Funding] = []
    license: License | None = None
    podroll: list[PodrollItem] = []
    update_frequency: UpdateFrequency | None = None
    # Names for podcast:season, by season number (default "Season N").
    seasons: dict[Number, Annotated[str, Field(max_length=128)]] = {}
    notify: Notify = Notify()
    # A download-measurement redirect before each enclosure URL (docs/analytics.md).
    analytics_prefix: AnalyticsPrefix | None = None
    directories: Directories = Directories()
    value: Value | None = None

    def medium_of(self, media: Collection[str]) -> str | None:
        """Which of an episode's media ("audio", "video") this feed lists, if any."""
        if self.medium == "audio_or_video":
            return next((m for m in ("audio", "video") if m in media), None)
        return self.medium if self.medium in media else None

    encoding: Encoding = Encoding()


# --- episodes ----------------------------------------------------------------------------


class Chapter(_Strict):
    start: Seconds
    title: Text
    link: Url | None = None
    image: LocalFile | None = None


class Soundbite(_Strict):
    """A podcast:soundbite: a short highlight apps may play as a preview (15-120 s)."""

    start: Seconds
    duration: Annotated[float, Field(gt=0, le=600)]
    title: Annotated[str, Field(max_length=128)] | None = None


class RemoteMedia(_Strict):
    """Media kept where another host serves it (an imported show's old files).

    showpipe neither uploads nor probes it, so the feed takes its measurements from here.
    """

    url: Url
    length: Annotated[int, Field(gt=0, le=MAX_LENGTH)]
    type: Annotated[str, Field(pattern=r"^(audio|video)/[\w.+-]+$")]
    duration: Seconds | None = None


class RemoteFile(_Strict):
    """A transcript kept where another host serves it."""

    url: Url
    type: Literal[REMOTE_TRANSCRIPT_TYPES]  # type: ignore[valid-type]


# The sample text `showpipe new` writes: publishing it unchanged would be a mistake.
TEMPLATE_PLACEHOLDERS = (
    "One line about this episode, shown in podcast apps' lists.",
    "What this episode is about, in **Markdown**.",
)


class Episode(_Strict):
    """One episode (`episodes/<slug>.yaml`). Paths are absolute once loaded."""

    slug: str = Field(exclude=True)
    source: Path = Field(exclude=True)
    guid: Annotated[str, Field(min_length=1, max_length=400)] | None = None
    title: Title
    published: pydantic.AwareDatetime
    summary: Text
    description: Text
    season: Number | None = None
    episode: Number | None = None
    type: Literal["full", "trailer", "bonus"] = "full"
    # None: as the feed says (itunes:explicit inherited from the channel).
    explicit: bool | None = None
    # itunes:block: Apple leaves this episode out; other apps still list it.
    block: bool = False
    # The item's own hosts when they differ from the feed's (podcast:person on the item).
    hosts: list[Person] | None = None
    guests: list[Person] = []
    audio: LocalFile | None = None
    video: LocalFile | None = None
    artwork: LocalFile | None = None
    chapters: Annotated[list[Chapter], Field(max_length=MAX_CHAPTERS)] = []
    transcripts: list[Transcript] = []
    keywords: list[Text] = []
    # Other renditions (an Opus file, …), listed as podcast:alternateEnclosure.
    alternates: list[LocalFile] = []
    # A 16:9 image for video apps (podcast:image purpose="poster", media:thumbnail).
    poster: LocalFile | None = None
    soundbites: list[Soundbite] = []
    # Taken out of the feeds on purpose: the only way a published GUID may disappear.
    unpublished: bool = False
    # Files that stay on another host (`showpipe import` writes these; --download fetches).
    remote_audio: RemoteMedia | None = None
    remote_video: RemoteMedia | None = None
    remote_transcripts: list[RemoteFile] = []
    # Other renditions kept on another host (podcast:alternateEnclosure).
    remote_alternates: list[RemoteMedia] = []
    chapters_url: Url | None = None
    # The episode's web page, given as the feed item's <link> (RSS 2.0); for instance its
    # showpipe page, <public_url>episodes/<slug>.html, or a post on the show's own site.
    link: Url | None = None
    value: Value | None = None

    @pydantic.model_validator(mode="after")
    def _has_media_and_ordered_chapters(self) -> Episode:
        if not (self.audio or self.video or self.remote_audio or self.remote_video):
            raise ValueError("an episode needs an audio or a video file (or both)")
        for medium in ("audio", "video"):
            if self.media(medium) and self.remote(medium):
                raise ValueError(f"give {medium} or remote_{medium}, not both")
        for i in range(1, len(self.chapters)):
            if self.chapters[i].start <= self.chapters[i - 1].start:
                raise ProblemAt(
                    ("chapters", i, "start"),
                    f"chapter {i + 1} starts no later than chapter {i}; "
                    "start times must be strictly increasing",
                )
        for field in ("summary", "description"):
            if getattr(self, field).strip() in TEMPLATE_PLACEHOLDERS:
                raise ProblemAt((field,), "is still the template's text; write your own")
        return self

    @cached_property
    def public_slug(self) -> str:
        """The episode's name in URLs and object keys: its file name, as ASCII words.

        Kept with the episode (and pickled with it by the episode cache): slugifying 5,000
        names was a tenth of the work of loading a big show from the cache."""
        return slugify(self.slug) or "episode"

    def media(self, medium: str) -> Path | None:
        """The episode's file for a feed's medium ("audio" or "video"), if it has one."""
        return self.audio if medium == "audio" else self.video

    def remote(self, medium: str) -> RemoteMedia | None:
        """The episode's media for `medium` that stays on another host, if any."""
        return self.remote_audio if medium == "audio" else self.remote_video

    def local_files(self) -> list[Path]:
        """Every file this episode names, for existence checks and uploads."""
        files = [self.audio, self.video, self.artwork, self.poster, *self.transcripts]
        files += self.alternates
        files += [c.image for c in self.chapters]
        return [f for f in files if f is not None]


# --- loading -----------------------------------------------------------------------------


def _known_fields(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at `location` (for "did you mean" hints)."""
    for part in location:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        while get_origin(annotation) is not None and not _is_model(annotation):
            args = [a for a in get_args(annotation) if _is_model(a) or get_origin(a)]
            if not args:
                return []
            annotation = args[0]
        if not _is_model(annotation):
            return []
        model = annotation  # type: ignore[assignment]
    return [name for name, f in model.model_fields.items() if not f.exclude]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _dotted(location: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")


def _problem_location(error: Any, location: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Where a model check placed its problem (ProblemAt), else pydantic's location."""
    cause = error.get("ctx", {}).get("error")
    return (*location, *cause.location) if isinstance(cause, ProblemAt) else location


def why_not_a_datetime(value: Any) -> str:
    """Why an ISO 8601-looking text is no real time ("month must be in 1..12"), or ""."""
    try:
        datetime.fromisoformat(str(value).replace("z", "Z"))
    except ValueError as e:
        reason = str(e)
        if reason.startswith("offset"):
            return ": a time zone offset must be less than 24 hours"
        if "Invalid isoformat" not in reason:
            return f": {reason}"
    return ""


def _describe(model: type[BaseModel], error: Any) -> str:
    """One pydantic error as `field: message`, phrased for a podcaster."""
    location = tuple(error["loc"])
    field = _dotted(location)
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        hint = did_you_mean(location[-1], _known_fields(model, location[:-1]))
        message = f"unknown key{hint}"
    elif value is None and kind.startswith("datetime"):
        message = "is empty: write when it goes live, like 2026-11-20T09:00:00+01:00"
    elif kind.startswith("datetime") or kind == "date_from_datetime_parsing":
        reason = why_not_a_datetime(value)
        message = f"'{value}' is not a date-time{reason} (write it like 2026-11-20T09:00:00+01:00)"
    elif kind == "timezone_aware":
        message = f"'{value}' has no time zone (add one, like +01:00 or Z)"
    elif kind == "less_than_equal":
        message = f"'{value}' is more than {error['ctx']['le']}, the most apps and tags hold"
    elif kind.startswith("int_"):
        message = f"'{value}' is not a whole number"
    elif kind.startswith("bool_"):
        message = f"'{value}' is not true or false"
    elif kind == "literal_error":
        message = f"'{value}' is not one of {error['ctx']['expected']}"
    elif kind == "value_error":
        message = str(error["ctx"]["error"])
        location = _problem_location(error, location)
        field = _dotted(location)
    else:
        message = error["msg"]
    return f"{field}: {message}" if field else message


def _validate(
    model: type[BaseModel],
    path: Path,
    extra: dict[str, Any],
    raw: bytes | None = None,
    *,
    source: Path | None = None,
) -> Any:
    base = (source or path.resolve()).parent
    if raw is None:
        try:
            raw = read_yaml_bytes(path)
        except YamlProblem as e:
            raise ValidationError([str(e)]) from None
    fast = parse_yaml_fast(raw)
    if fast is not None:
        try:
            return model.model_validate({**fast, **extra}, context={"base": base})
        except pydantic.ValidationError:
            pass  # read it again the slow way, which knows each field's line
    try:
        data = parse_yaml(path, raw)
    except YamlProblem as e:
        raise ValidationError([str(e)]) from None
    try:
        return model.model_validate({**data, **extra}, context={"base": base})
    except pydantic.ValidationError as e:
        problems = [
            f"{shown(path)}:{line_of(data, _problem_location(error, error['loc']))}: "
            f"{_describe(model, error)}"
            for error in e.errors(include_url=False)
        ]
        raise ValidationError(problems) from None


def load_feed(path: Path) -> Feed:
    """Load `feeds/<name>.yaml`. Raises ValidationError listing every problem."""
    feed: Feed = _validate(Feed, path, {"name": path.stem})
    return feed


def load_episode(path: Path, raw: bytes | None = None, *, source: Path | None = None) -> Episode:
    """Load `episodes/<slug>.yaml` (whose bytes are `raw` when already read, and whose
    resolved path is `source` when known: resolving costs a system call per folder).

    Raises:
        ValidationError: listing every problem.
    """
    source = source or path.resolve()
    episode: Episode = _validate(
        Episode, path, {"slug": path.stem, "source": source}, raw, source=source
    )
    return episode


def load_episodes(files: Sequence[tuple[Path, bytes, Path]]) -> list[Episode | list[str]]:
    """`load_episode` for each (file, its bytes, its resolved path): each episode, or its
    problems. A big show's are validated on every core (`showpipe.parallel`)."""
    loads = [partial(_episode_or_problems, *file) for file in files]
    return list(render_each(loads, parallel_from=PARALLEL_LOAD_FROM))


def _episode_or_problems(path: Path, raw: bytes, source: Path) -> Episode | list[str]:
    try:
        return load_episode(path, raw, source=source)
    except ValidationError as e:
        return e.problems
