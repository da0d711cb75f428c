"""Feed items kept between runs: each item's XML as rendered, and which items read back right.

Rendering an item (Markdown, feedgen, serialising) and reading it back with podcastparser
cost about a millisecond each, so a show of thousands of episodes spent seconds redoing them
for every new episode. This cache keeps each item's XML under a digest of everything it is
made of (what items take from the feed's definition, `item.ItemFeed`; its artwork; the public
URL; the episode as validated and its manifest record) and the digests of the items that read
back as meant. Its key holds showpipe's version and the source of the modules that render, so
other code starts empty.

A shortcut, never the truth: one sealed pickle under `.showpipe/cache/` (`showpipe.sealed`;
a pickle of plain strings loads and saves several times faster than the same data as JSON),
safe to delete; a missing or damaged file means every item is rendered and read back again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import showpipe.feeds
from showpipe import times
from showpipe.config import Settings
from showpipe.digests import new_digest
from showpipe.feeds.item import ItemFeed
from showpipe.feeds.readback import FeedItems
from showpipe.model.cache import code_key
from showpipe.model.episode import Episode
from showpipe.model.manifest import EpisodeRecord, StoredFile, record_digest
from showpipe.model.published import PublishedEpisode
from showpipe.model.show import Feed
from showpipe.sealed import Layered, Sealing, read_sealed, save_sealed

ITEMS_FILE = "feed-items.sealed"


@dataclass(frozen=True)
class KnownFeed:
    """A feed as built or stored: the digest of its bytes, its items, and the object keys it
    names (what the GUID guard, the item diff and the storage guard need of it)."""

    digest: str
    items: FeedItems
    # The keys one per line: one string, where thousands would be pickled and unpickled on
    # every run that reads the cache.
    names: str

    @classmethod
    def of(cls, digest: str, items: FeedItems, names: Iterable[str]) -> KnownFeed:
        return cls(digest, items, "\n".join(names))

    def named(self) -> frozenset[str]:
        """The object keys the feed names."""
        return frozenset(self.names.split("\n")) if self.names else frozenset()


class ItemCache:
    """Rendered and read-back items; one per planning of the feeds, saved when it succeeded."""

    def __init__(
        self,
        path: Path,
        *,
        describe: Callable[[Episode], str] | None = None,
        describe_record: Callable[[str, EpisodeRecord], str] | None = None,
    ) -> None:
        """Open the cache in `path`; `describe` gives a text that changes whenever the
        episode may (`EpisodeCache.describe`; by default its JSON), `describe_record` one for
        its record (`ManifestMemo.describe_record`; by default its digest)."""
        self.path = path
        self._describe = describe or (lambda episode: episode.model_dump_json())
        self._describe_record = describe_record or (lambda guid, record: record_digest(record))
        # Every module of the feeds package (items are rendered by several, and one added
        # later is covered too), the times they write, and the libraries that write items:
        # feedgen, markdown-it-py and nh3 (whose sanitiser fixes must reach cached items).
        self.key = code_key(showpipe.feeds, times)
        self.key += "".join(version(name) for name in ("feedgen", "markdown-it-py", "nh3"))
        sealed = read_sealed(path, self.key)
        stored: dict[str, Any] = sealed if isinstance(sealed, dict) else {}
        # "<channel digest>\0<episode digest>" -> the item's XML
        layers = Layered[bytes].read(path, self.key, stored.get("items"))
        self._layers = layers or Layered()
        self._old = self._layers.entries
        verified = stored.get("verified")
        self._old_verified = set(verified) if isinstance(verified, list) else set()
        self._items: dict[str, bytes] = {}
        # storage key -> [KnownFeed]: the feed as last built and the one stored before that
        # build, so that the one stored need be neither downloaded nor parsed.
        feeds = stored.get("feeds")
        self._feeds: dict[str, Any] = feeds if isinstance(feeds, dict) else {}
        self._feeds_changed = False
        self._verified: set[str] = set()
        # Each episode's share of the key, worked out once per run for all the feeds.
        self._episodes: dict[str, tuple[PublishedEpisode, str]] = {}
        self.rendered = 0  # items rendered one by one, in `item`
        self.batched = 0  # items rendered ahead, in batches (`build.render_items`)

    @classmethod
    def of(
        cls,
        settings: Settings,
        *,
        describe: Callable[[Episode], str] | None = None,
        describe_record: Callable[[str, EpisodeRecord], str] | None = None,
    ) -> ItemCache:
        path = settings.cache_dir / ITEMS_FILE
        return cls(path, describe=describe, describe_record=describe_record)

    @staticmethod
    def channel_digest(feed: Feed, *, artwork: StoredFile, public_url: str) -> str:
        """What a feed's items take from the feed: the part of its definition they are made
        from (`item.ItemFeed`), its artwork and the public URL."""
        digest = new_digest(f"{feed.name}\0{public_url}\0".encode())
        digest.update(ItemFeed.of(feed).as_json().encode())
        digest.update(json.dumps(asdict(artwork), sort_keys=True).encode())
        return digest.hexdigest()

    def item(
        self,
        channel: str,
        published: PublishedEpisode,
        render: Callable[[], bytes],
        *,
        ahead: bytes | None = None,
    ) -> bytes:
        """The item's XML: as cached for these very inputs, else as rendered `ahead` (by
        `build.render_items`), else `render()`ed now."""
        key = self._key(channel, published)
        xml = self._items.get(key)
        if xml is None:
            xml = self._cached(key)
            if xml is None and ahead is not None:
                self.batched += 1
                xml = ahead
            elif xml is None:
                self.rendered += 1
                xml = render()
            self._items[key] = xml
        return xml

    def has(self, channel: str, published: PublishedEpisode) -> bool:
        """Whether this episode's item in the feed of this channel digest is cached."""
        key = self._key(channel, published)
        return key in self._items or self._cached(key) is not None

    def _cached(self, key: str) -> bytes | None:
        xml = self._old.get(key)
        return xml if isinstance(xml, bytes) and xml.startswith(b"<item>") else None  # else damaged

    def _key(self, channel: str, published: PublishedEpisode) -> str:
        return f"{channel}\0{self._episode_digest(published)}"

    def _episode_digest(self, published: PublishedEpisode) -> str:
        known = self._episodes.get(published.guid)
        # The same objects: both feeds list the run's one PublishedEpisode per episode.
        if known is not None and known[0] is published:
            return known[1]
        digest = new_digest(self._describe(published.episode).encode())
        digest.update(self._describe_record(published.guid, published.record).encode())
        found = digest.hexdigest()
        self._episodes[published.guid] = (published, found)
        return found

    def feed_as_stored(self, key: str, digest: str) -> KnownFeed | None:
        """The feed stored under `key`, whose bytes have `digest`, if this cache saw it built."""
        known = self._feeds.get(key)
        if not isinstance(known, list):
            return None
        return next((k for k in known if isinstance(k, KnownFeed) and k.digest == digest), None)

    def remember_feed(self, key: str, built: KnownFeed, stored: KnownFeed | None) -> None:
        """Remember a feed as built and the one `stored` under `key` before this run: a
        `check` or a `--dry-run` builds a feed that is not stored, and the next run finds the
        stored one still; a run that stores the built one finds that."""
        self._feeds_changed = True
        self._feeds[key] = [built] if stored is None else [built, stored]

    def read_back_before(self, digest: str) -> bool:
        """Whether an item (by `readback.item_digest`) read back as meant in an earlier run."""
        return digest in self._old_verified or digest in self._verified

    def keep_read_back(self, digests: list[str]) -> None:
        self._verified.update(digests)

    def save(self) -> None:
        """Keep this run's items (and only them) for the next run, if anything changed.

        Items read back in earlier runs are kept too (an unchanged feed is not read again,
        so its items are not named this run), until they outnumber the items three to one.
        """
        save_sealed(self.seal)

    def seal(self, sealing: Sealing) -> None:
        """`save`, into `sealing`: written when the run writes it."""
        verified = self._verified | self._old_verified
        if len(verified) > 3 * len(self._items):
            verified = self._verified
        if self._items != self._old or verified != self._old_verified or self._feeds_changed:
            items = self._layers.saved(self.path, self.key, self._items, sealing)
            data = {"items": items, "verified": list(verified), "feeds": self._feeds}
            sealing.add(self.path, self.key, data)
