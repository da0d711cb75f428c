"""The show's values (Feed, Episode, Person, Chapter …) and loading them from YAML.

Every YAML file of the project goes through `load_feed` / `load_episode`; each reports all
of a file's problems at once as `file:line: field: message`. The field types and the
vocabularies they are checked against live in `showpipe.model.fields`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from showpipe.errors import ValidationError, shown
from showpipe.model.fields import (
    Email,
    LocalFile,
    Seconds,
    Text,
    Title,
    Url,
    apple_categories,
    did_you_mean,
    license_slugs,
    person_roles,
)
from showpipe.model.yamlfile import YamlProblem, line_of, read_yaml, read_yaml_fast


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


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


class Notify(_Strict):
    """Whom to tell when the feed changes, so apps fetch it at once instead of polling."""

    websub: list[Url] = []  # WebSub hubs (also announced in the feed as atom:link rel="hub")
    podping: bool = False  # needs SHOWPIPE_PODPING_TOKEN in the environment
    podcast_index: bool = False  # the Podcast Index's pubnotify


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

    name: str = Field(exclude=True)
    title: Title
    description: Text
    link: Url
    language: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")]
    copyright: str | None = None
    author: Text
    owner: Owner
    hosts: list[Person] = Field(min_length=1)
    artwork: LocalFile
    categories: list[Category] = Field(min_length=1)
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    medium: Literal["audio", "video"] = "audio"
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
    seasons: dict[Annotated[int, Field(gt=0)], Annotated[str, Field(max_length=128)]] = {}
    notify: Notify = Notify()
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
    length: Annotated[int, Field(gt=0)]
    type: Annotated[str, Field(pattern=r"^(audio|video)/[\w.+-]+$")]
    duration: Seconds | None = None


class RemoteFile(_Strict):
    """A transcript kept where another host serves it."""

    url: Url
    type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$")]


class Episode(_Strict):
    """One episode (`episodes/<slug>.yaml`). Paths are absolute once loaded."""

    slug: str = Field(exclude=True)
    source: Path = Field(exclude=True)
    guid: Annotated[str, Field(min_length=1, max_length=400)] | None = None
    title: Title
    published: pydantic.AwareDatetime
    summary: Text
    description: Text
    season: Annotated[int, Field(gt=0)] | None = None
    episode: Annotated[int, Field(gt=0)] | None = None
    type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool = False
    guests: list[Person] = []
    audio: LocalFile | None = None
    video: LocalFile | None = None
    artwork: LocalFile | None = None
    chapters: list[Chapter] = []
    transcripts: list[LocalFile] = []
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
    chapters_url: Url | None = None

    @pydantic.model_validator(mode="after")
    def _has_media_and_ordered_chapters(self) -> Episode:
        if not (self.audio or self.video or self.remote_audio or self.remote_video):
            raise ValueError("an episode needs an audio or a video file (or both)")
        for medium in ("audio", "video"):
            if self.media(medium) and self.remote(medium):
                raise ValueError(f"give {medium} or remote_{medium}, not both")
        starts = [c.start for c in self.chapters]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError("chapters: start times must be strictly increasing")
        return self

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


def _describe(model: type[BaseModel], error: Any) -> str:
    """One pydantic error as `field: message`, phrased for a podcaster."""
    location = tuple(error["loc"])
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        hint = did_you_mean(location[-1], _known_fields(model, location[:-1]))
        message = f"unknown key{hint}"
    elif kind.startswith("datetime") or kind == "date_from_datetime_parsing":
        message = f"'{value}' is not a date-time (write it like 2026-11-20T09:00:00+01:00)"
    elif kind == "timezone_aware":
        message = f"'{value}' has no time zone (add one, like +01:00 or Z)"
    elif kind.startswith("int_"):
        message = f"'{value}' is not a whole number"
    elif kind.startswith("bool_"):
        message = f"'{value}' is not true or false"
    elif kind == "literal_error":
        message = f"'{value}' is not one of {error['ctx']['expected']}"
    elif kind == "value_error":
        message = str(error["ctx"]["error"])
    else:
        message = error["msg"]
    return f"{field}: {message}" if field else message


def _validate(model: type[BaseModel], path: Path, extra: dict[str, Any]) -> Any:
    base = path.resolve().parent
    fast = read_yaml_fast(path)
    if fast is not None:
        try:
            return model.model_validate({**fast, **extra}, context={"base": base})
        except pydantic.ValidationError:
            pass  # read it again the slow way, which knows each field's line
    try:
        data = read_yaml(path)
    except YamlProblem as e:
        raise ValidationError([str(e)]) from None
    try:
        return model.model_validate({**data, **extra}, context={"base": base})
    except pydantic.ValidationError as e:
        problems = [
            f"{shown(path)}:{line_of(data, error['loc'])}: {_describe(model, error)}"
            for error in e.errors(include_url=False)
        ]
        raise ValidationError(problems) from None


def load_feed(path: Path) -> Feed:
    """Load `feeds/<name>.yaml`. Raises ValidationError listing every problem."""
    feed: Feed = _validate(Feed, path, {"name": path.stem})
    return feed


def load_episode(path: Path) -> Episode:
    """Load `episodes/<slug>.yaml`. Raises ValidationError listing every problem."""
    episode: Episode = _validate(Episode, path, {"slug": path.stem, "source": path.resolve()})
    return episode
