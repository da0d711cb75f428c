"""The publish manifest: what has been published, measured, kept with the storage.

Feeds are built from the episodes' YAML plus this record, so `showpipe feeds` needs no media
files: every size, duration, type and hash of a published object is here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pydantic

from showpipe.errors import StorageError
from showpipe.storage import MANIFEST_KEY, Storage

__all__ = ["MANIFEST_KEY", "EpisodeRecord", "FeedRecord", "Manifest", "StoredFile"]


@dataclass(frozen=True)
class StoredFile:
    """One published object, as measured when it was uploaded.

    A file kept on another host (an imported show's) has `url` set, an empty `key` and
    `digest`, and the size its old feed gave. `digest` is the file's xxh3-128 (digests.py).
    """

    key: str
    size: int
    digest: str
    content_type: str
    duration: float | None = None
    # Subresource Integrity value ("sha384-<base64>") for podcast:integrity.
    sri: str | None = None
    # Pixel size of images and video, for media:content and podcast:image.
    width: int | None = None
    height: int | None = None
    url: str | None = None
    # Media: the digest of the recording the file was made from, which its key follows.
    recording: str | None = None

    def href(self, public_url: str) -> str:
        """Where listeners fetch it: our storage under `public_url`, or its own host."""
        return self.url or public_url + self.key


@dataclass(frozen=True)
class EpisodeRecord:
    """What was published for one episode (keyed by GUID in the manifest)."""

    slug: str
    media: dict[str, StoredFile]  # "audio" / "video"
    artwork: StoredFile | None = None
    transcripts: list[StoredFile] = field(default_factory=list)
    chapter_images: list[StoredFile] = field(default_factory=list)
    # The generated JSON chapters file (podcast:chapters), when the episode has chapters.
    chapters: StoredFile | None = None
    # Other renditions beside the audio and video (podcast:alternateEnclosure).
    alternates: list[StoredFile] = field(default_factory=list)
    poster: StoredFile | None = None


@dataclass(frozen=True)
class FeedRecord:
    artwork: StoredFile


@dataclass(frozen=True)
class Manifest:
    # 2: files carry their xxh3-128 `digest`; 1 (development builds) carried `sha256`.
    version: int = 2
    episodes: dict[str, EpisodeRecord] = field(default_factory=dict)
    feeds: dict[str, FeedRecord] = field(default_factory=dict)

    def stored_keys(self) -> dict[str, StoredFile]:
        """Every object the manifest knows, by key."""
        files: list[StoredFile] = [f.artwork for f in self.feeds.values()]
        for record in self.episodes.values():
            files += [*record.media.values(), *record.transcripts, *record.chapter_images]
            files += record.alternates
            files += [f for f in (record.artwork, record.chapters, record.poster) if f]
        return {f.key: f for f in files if f.key}


_ADAPTER = pydantic.TypeAdapter(Manifest)


def read_manifest(storage: Storage) -> Manifest:
    """The storage's manifest, or an empty one for a storage never published to.

    Raises:
        StorageError: the manifest exists but cannot be parsed.
    """
    return read_manifest_versioned(storage)[0]


def read_manifest_versioned(storage: Storage) -> tuple[Manifest, str | None]:
    """The manifest and its version token (None: none stored yet), for a conditional write.

    Raises:
        StorageError: the manifest exists but cannot be parsed.
    """
    found = storage.get_versioned(MANIFEST_KEY)
    if found is None:
        return Manifest(), None
    data, version = found
    try:
        return _ADAPTER.validate_json(data), version
    except pydantic.ValidationError as e:
        upgraded = _from_version_1(data)
        if upgraded is not None:
            return upgraded, version
        raise StorageError(
            f"{storage.describe()}/{MANIFEST_KEY} is damaged and cannot be read: {e.errors()[0]}"
        ) from e


def _from_version_1(data: bytes) -> Manifest | None:
    """A version 1 manifest read as version 2, or None if `data` is not one.

    Its SHA-256 values cannot be compared with digests, so they are forgotten: the next
    publish stores each file again under its new key (GUIDs, and so episodes in apps, stay),
    and `showpipe storage gc` lists the old objects.
    """

    def upgrade(value: Any) -> Any:
        if isinstance(value, dict):
            if "sha256" in value:
                value = {**value, "digest": ""}
                del value["sha256"]
            return {k: upgrade(v) for k, v in value.items()}
        if isinstance(value, list):
            return [upgrade(v) for v in value]
        return value

    try:
        old = json.loads(data)
        if not isinstance(old, dict) or old.get("version", 1) != 1:
            return None
        return _ADAPTER.validate_python({**upgrade(old), "version": 2})
    except (ValueError, pydantic.ValidationError):
        return None


def encode_manifest(manifest: Manifest) -> bytes:
    return _ADAPTER.dump_json(manifest, indent=1) + b"\n"
