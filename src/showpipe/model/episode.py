"""An episode's values (`episodes/<slug>.yaml`): the Episode and its chapters, soundbites and
the files it keeps on another host, as validated pydantic models (loaded by
`showpipe.model.loading`).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field
from slugify import slugify

from showpipe.model.fields import (
    MAX_CHAPTERS,
    MAX_LENGTH,
    REMOTE_TRANSCRIPT_TYPES,
    LocalFile,
    Number,
    ProblemAt,
    Seconds,
    Text,
    Title,
    Transcript,
    Url,
)
from showpipe.model.show import Person, Strict, Value


class Chapter(Strict):
    start: Seconds
    title: Text
    link: Url | None = None
    image: LocalFile | None = None


class Soundbite(Strict):
    """A podcast:soundbite: a short highlight apps may play as a preview (15-120 s)."""

    start: Seconds
    duration: Annotated[float, Field(gt=0, le=600)]
    title: Annotated[str, Field(max_length=128)] | None = None


class RemoteMedia(Strict):
    """Media kept where another host serves it (an imported show's old files).

    showpipe neither uploads nor probes it, so the feed takes its measurements from here.
    """

    url: Url
    length: Annotated[int, Field(gt=0, le=MAX_LENGTH)]
    type: Annotated[str, Field(pattern=r"^(audio|video)/[\w.+-]+$")]
    duration: Seconds | None = None


class RemoteFile(Strict):
    """A transcript kept where another host serves it."""

    url: Url
    type: Literal[REMOTE_TRANSCRIPT_TYPES]  # type: ignore[valid-type]


# The sample text `showpipe new` writes: publishing it unchanged would be a mistake.
TEMPLATE_PLACEHOLDERS = (
    "One line about this episode, shown in podcast apps' lists.",
    "What this episode is about, in **Markdown**.",
)


class Episode(Strict):
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
