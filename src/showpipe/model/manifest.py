"""The publish manifest: what has been published, measured, kept with the storage.

Feeds are built from the episodes' YAML plus this record, so `showpipe feeds` needs no media
files: every size, duration, type and hash of a published object is here.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pydantic

from showpipe.digests import data_digest
from showpipe.errors import StorageError
from showpipe.storage import MANIFEST_KEY, Storage

if TYPE_CHECKING:  # at run time, the memo's module imports this one
    from showpipe.model.cache import ManifestMemo

__all__ = ["MANIFEST_KEY", "EpisodeRecord", "FeedRecord", "Manifest", "StoredFile"]

# The folders showpipe stores files in, and the key it gives each: `folder/slug-hash.ext`,
# content-addressed (publishing/assets.py). A key of any other shape was not written by it.
FOLDERS = ("media", "art", "chapters", "transcripts")
SAFE_KEY = re.compile(rf"(?:{'|'.join(FOLDERS)})/[a-z0-9][a-z0-9-]*-[0-9a-f]{{12}}(?:\.[a-z0-9]+)?")
# An episode's slug names its embed page (embed/<slug>.html): slugify's output only.
SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DIGEST = re.compile(r"[0-9a-f]{32}")  # xxh3-128 in hex; "" for files kept on another host
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")
SRI = re.compile(r"sha(256|384|512)-[A-Za-z0-9+/]+={0,2}")
# The manifest version this showpipe writes; 1 (development builds) is upgraded on reading.
VERSION = 2
# Extra fields are refused, not dropped: rewriting the manifest would lose them.
STRICT = pydantic.ConfigDict(extra="forbid")
FIX = (
    "the manifest is damaged or was not written by showpipe: restore it from a backup (or "
    "the bucket's previous object version), or fix that entry and publish the episode again"
)


@dataclass(frozen=True)
class StoredFile:
    """One published object, as measured when it was uploaded.

    A file kept on another host (an imported show's) has `url` set, an empty `key` and
    `digest`, and the size its old feed gave. `digest` is the file's xxh3-128 (digests.py).
    """

    __pydantic_config__ = STRICT

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

    __pydantic_config__ = STRICT

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

    def files(self) -> list[StoredFile]:
        """Every file of the record (`where` says where one sits in it)."""
        files = [*self.media.values()]
        files += [f for f in (self.artwork, self.chapters, self.poster) if f]
        return files + [*self.transcripts, *self.chapter_images, *self.alternates]

    def where(self, file: StoredFile) -> str:
        """Where `file` (one of `files()`) sits in the record, e.g. `media.audio` or
        `transcripts.0`, for a message. Found by walking the fields rather than by listing
        them a second time: `files()` walks every record of a show each run, and is several
        times faster for listing them without their places."""
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            if value is file:
                return name
            if isinstance(value, dict | list):
                places = value.items() if isinstance(value, dict) else enumerate(value)
                for place, found in places:
                    if found is file:
                        return f"{name}.{place}"
        raise ValueError(f"{file.key or file.url} is not a file of this record")


@dataclass(frozen=True)
class FeedRecord:
    __pydantic_config__ = STRICT

    artwork: StoredFile


@dataclass(frozen=True)
class Manifest:
    __pydantic_config__ = STRICT

    # 2: files carry their xxh3-128 `digest`; 1 (development builds) carried `sha256`.
    version: int = VERSION
    episodes: dict[str, EpisodeRecord] = field(default_factory=dict)
    feeds: dict[str, FeedRecord] = field(default_factory=dict)

    def stored_keys(self) -> dict[str, StoredFile]:
        """Every object the manifest knows, by key."""
        files: list[StoredFile] = [f.artwork for f in self.feeds.values()]
        for record in self.episodes.values():
            files += record.files()
        return {f.key: f for f in files if f.key}


@functools.cache
def _adapter() -> pydantic.TypeAdapter[Manifest]:
    """The manifest's validator and serialiser, built when first needed: building it is a
    tenth of a second's import, and a run that finds its manifest in the memo needs neither."""
    return pydantic.TypeAdapter(Manifest)


def read_manifest(storage: Storage) -> Manifest:
    """The storage's manifest, or an empty one for a storage never published to.

    Raises:
        StorageError: the manifest exists but cannot be parsed.
    """
    return read_manifest_versioned(storage)[0]


def read_manifest_versioned(
    storage: Storage, *, memo: ManifestMemo | None = None
) -> tuple[Manifest, str | None]:
    """The manifest and its version token (None: none stored yet), for a conditional write;
    parsed by `memo` (a `cache.ManifestMemo`) when given.

    Raises:
        StorageError: the manifest exists but is damaged, of an unknown version, or names a
            key, slug, size or URL showpipe never writes.
    """
    if memo is not None:  # its version first: in S3 a HEAD, where reading is a download
        version = storage.version(MANIFEST_KEY)
        if version is None:
            return Manifest(), None
        if (known := memo.known(version)) is not None:
            return known, version
    found = storage.get_versioned(MANIFEST_KEY)
    if found is None:
        return Manifest(), None
    data, version = found
    where = f"{storage.describe()}/{MANIFEST_KEY}"
    return (memo.parse(data, where, version) if memo else parse_manifest(data, where)), version


def parse_manifest(data: bytes, where: str) -> Manifest:
    """A stored manifest, checked as strictly as the YAML: `where` names it in errors.

    Raises:
        StorageError: naming the entry and field at fault, and what to do.
    """
    try:
        manifest = _adapter().validate_json(data)
    except pydantic.ValidationError as e:
        stated = _stated_version(data)
        upgraded = _from_version_1(data) if stated == 1 else None
        if upgraded is None:
            _refuse_unknown_version(stated, where)
            error = e.errors()[0]
            raise StorageError(f"{where}: {_dotted(error['loc'])}: {error['msg']}; {FIX}") from e
        manifest = upgraded
    if manifest.version != VERSION:
        _refuse_unknown_version(manifest.version, where)
        manifest = replace(manifest, version=VERSION)  # a version 1 without sha256 values
    if not (manifest.episodes or manifest.feeds) and _stated_version(data) is None:
        # `{}`: showpipe always writes its version; an empty manifest would unpublish all
        raise StorageError(f"{where}: no version and no episodes; {FIX}")
    problems = manifest_problems(manifest)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StorageError(f"{where}: {problems[0]}{more}; {FIX}")
    return manifest


def _stated_version(data: bytes) -> Any:
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    return raw.get("version") if isinstance(raw, dict) else None


def _refuse_unknown_version(version: Any, where: str) -> None:
    if version not in (1, VERSION) and version is not None:
        raise StorageError(
            f"{where}: version {version!r} is not one this showpipe knows (1, {VERSION}); it "
            "was written by a newer showpipe, which may have recorded what this one would "
            "drop: upgrade showpipe (pip install -U showpipe) and run again"
        )


def _dotted(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top)"


def manifest_problems(manifest: Manifest) -> list[str]:
    """What in the manifest showpipe would never have written, one line per field."""
    problems: list[str] = []
    for name, feed in manifest.feeds.items():
        problems += [f"feeds.{name}.artwork.{p}" for p in _file_problems(feed.artwork)]
    for guid, record in manifest.episodes.items():
        if not SAFE_SLUG.fullmatch(record.slug):
            problems.append(
                f"episodes.{guid}.slug: {record.slug!r} is not a slug showpipe writes "
                "(lowercase letters and digits, single hyphens between)"
            )
        for file in record.files():
            found = _file_problems(file)
            if found:  # where the file sits, worked out only for one with problems
                where = f"episodes.{guid}.{record.where(file)}"
                problems += [f"{where}.{problem}" for problem in found]
    return problems


def _file_problems(file: StoredFile) -> list[str]:
    """What is wrong with a file's entry, each as "<field>: <problem>"."""
    problems = []
    if file.url is not None:
        parts = urlsplit(file.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"url: {file.url!r} is not an absolute http(s) URL")
        if file.key:
            problems.append("key: a file kept on another host (url) has no key")
    elif not SAFE_KEY.fullmatch(file.key):
        problems.append(
            f"key: {file.key!r} is not an object key showpipe writes "
            f"({'|'.join(FOLDERS)}/<slug>-<12 hex digits>.<extension>)"
        )
    if file.size < (0 if file.url else 1):
        problems.append(f"size: {file.size} is not a positive number of bytes")
    if file.digest and not DIGEST.fullmatch(file.digest):
        problems.append(f"digest: {file.digest!r} is not an xxh3-128 digest in hex")
    if file.key and not CONTENT_TYPE.fullmatch(file.content_type):  # another host's: as given
        problems.append(f"content_type: {file.content_type!r} is not a media type")
    if file.duration is not None and not (math.isfinite(file.duration) and file.duration >= 0):
        problems.append(f"duration: {file.duration} is not a duration in seconds")
    for name in ("width", "height"):
        value = getattr(file, name)
        if value is not None and value < 1:
            problems.append(f"{name}: {value} is not a size in pixels")
    if file.sri is not None and not SRI.fullmatch(file.sri):
        problems.append(f"sri: {file.sri!r} is not a Subresource Integrity value")
    return problems


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
        return _adapter().validate_python({**upgrade(old), "version": 2})
    except (ValueError, pydantic.ValidationError):
        return None


@functools.cache
def _record_adapter() -> pydantic.TypeAdapter[EpisodeRecord]:
    return pydantic.TypeAdapter(EpisodeRecord)


def record_digest(record: EpisodeRecord) -> str:
    """A digest of everything an episode's record holds."""
    return data_digest(_record_adapter().dump_json(record))


def encode_manifest(manifest: Manifest) -> bytes:
    # Compact: on a big show indenting it made it a fifth bigger (4.6 MB against 3.6 on the
    # bench's 5,000 episodes), to upload on every publish, and took twice as long to encode.
    return _adapter().dump_json(manifest) + b"\n"
