"""The show's values: a feed (`feeds/<name>.yaml`) and the parts it is made of (hosts,
categories, funding, value-for-value, encoding, …), as validated pydantic models.

The episodes' models are in `showpipe.model.episode`; loading both from YAML, with every
problem as `file:line: field: message`, in `showpipe.model.loading`. The field types and the
vocabularies they are checked against live in `showpipe.model.fields`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from showpipe.model.fields import (
    AnalyticsPrefix,
    Email,
    FeedName,
    Language,
    LocalFile,
    Number,
    Text,
    Title,
    Url,
    apple_categories,
    check_plain,
    did_you_mean,
    license_slugs,
    person_roles,
)


class Strict(BaseModel):
    """The base of every model of the show and its episodes: unknown keys are refused, values
    are frozen, and text is stripped and free of control characters."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @pydantic.field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # Every text of the show, not only titles: a terminal escape in a copyright line or a
        # season's name would reach every listener's app and every ID3 frame.
        check_plain(value)
        return value


class Person(Strict):
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


class Owner(Strict):
    name: Text
    email: Email


class Category(Strict):
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


class Funding(Strict):
    """A podcast:funding link (Podcasting 2.0): where listeners can support the show."""

    url: Url
    text: Annotated[str, Field(min_length=1, max_length=128)]


class License(Strict):
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


class PodrollItem(Strict):
    """Another show recommended in podcast:podroll, named by its podcast:guid."""

    feed_guid: uuid.UUID
    feed_url: Url | None = None


class UpdateFrequency(Strict):
    """podcast:updateFrequency: how often new episodes come, in words and as an RRULE."""

    text: Annotated[str, Field(min_length=1, max_length=128)]
    rrule: str | None = None
    complete: bool = False


class ValueRecipient(Strict):
    """One podcast:valueRecipient: who receives what share of value-for-value payments."""

    name: Annotated[str, Field(max_length=128)] | None = None
    type: Annotated[str, Field(min_length=1, max_length=32)]  # "node", "lnaddress", …
    address: Annotated[str, Field(min_length=1, max_length=256)]
    split: Annotated[int, Field(ge=0)]
    fee: bool = False
    custom_key: str | None = None
    custom_value: str | None = None


class Value(Strict):
    """podcast:value (value-for-value): how listeners' apps pay the show while listening."""

    type: Annotated[str, Field(min_length=1, max_length=32)] = "lightning"
    method: Annotated[str, Field(min_length=1, max_length=32)] = "keysend"
    suggested: str | None = None
    recipients: list[ValueRecipient] = Field(min_length=1)


class Notify(Strict):
    """Whom to tell when the feed changes, so apps fetch it at once instead of polling."""

    websub: list[Url] = []  # WebSub hubs (also announced in the feed as atom:link rel="hub")
    podping: bool = False  # needs SHOWPIPE_PODPING_TOKEN in the environment
    podcast_index: bool = False  # the Podcast Index's pubnotify


class Directories(Strict):
    """The show's entries in podcast directories, for the show page's subscribe links."""

    # The number in podcasts.apple.com/podcast/id<N>; Overcast finds shows by it too.
    apple_podcasts: Annotated[int, Field(gt=0, lt=10**12)] | None = None
    # The 22-character show ID in open.spotify.com/show/<ID>.
    spotify: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{22}$")] | None = None
    # The short ID in pca.st/<ID> (Pocket Casts' share link).
    pocket_casts: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")] | None = None
    # AntennaPod subscribes by the feed's own URL: set false to leave its link out.
    antennapod: bool = True


class Rendition(Strict):
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


class Feed(Strict):
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
        return listed_medium(self.medium, media)

    encoding: Encoding = Encoding()


def listed_medium(medium: str, media: Collection[str]) -> str | None:
    """Which of an episode's media ("audio", "video") a feed of `medium` lists, if any."""
    if medium == "audio_or_video":
        return next((m for m in ("audio", "video") if m in media), None)
    return medium if medium in media else None
