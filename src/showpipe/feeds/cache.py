"""Feed items kept between runs: each item's XML as rendered, and which items read back right.

Rendering an item (Markdown, feedgen, serialising) and reading it back with podcastparser
cost about a millisecond each, so a show of thousands of episodes spent seconds redoing them
for every new episode. This cache keeps each item's XML under a digest of everything it is
made of (the feed's definition, its artwork, the public URL, the episode as validated and its
manifest record) and the digests of the items that read back as meant. Its key holds
showpipe's version and the source of the modules that render, so other code starts empty.

A shortcut, never the truth: one file under `.showpipe/cache/`, safe to delete; a missing or
damaged file means every item is rendered and read back again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import feedgen.version
from pydantic import TypeAdapter

from showpipe.config import Settings
from showpipe.digests import data_digest, new_digest
from showpipe.feeds import analytics, build, chapters, extensions, item, readback, text
from showpipe.feeds.readback import FeedItems
from showpipe.model.cache import code_key, read_json, write_json
from showpipe.model.manifest import EpisodeRecord, StoredFile
from showpipe.model.published import PublishedEpisode
from showpipe.model.show import Episode, Feed

ITEMS_FILE = "feed-items.json"
_RECORD = TypeAdapter(EpisodeRecord)


class ItemCache:
    """Rendered and read-back items; one per planning of the feeds, saved when it succeeded."""

    def __init__(self, path: Path, *, describe: Callable[[Episode], str] | None = None) -> None:
        """Open the cache in `path`; `describe` gives a text that changes whenever the
        episode may (`EpisodeCache.describe`; by default its JSON)."""
        self.path = path
        self._describe = describe or (lambda episode: episode.model_dump_json())
        self.key = code_key(build, item, extensions, text, chapters, readback, analytics)
        self.key += feedgen.version.version_str
        stored = read_json(path)
        fresh = stored.get("key") != self.key
        items, verified = stored.get("items"), stored.get("verified")
        # channel digest -> episode digest -> the item's XML
        self._old: dict[str, Any] = {} if fresh or not isinstance(items, dict) else items
        self._old_verified = set() if fresh or not isinstance(verified, list) else set(verified)
        self._items: dict[str, dict[str, str]] = {}
        # storage key -> [digest of the feed, its podcast:guid, item count, {GUID: [title,
        # digest of the item]}]: the feed as last built, so that it need not be parsed.
        feeds = None if fresh else stored.get("feeds")
        self._feeds: dict[str, Any] = feeds if isinstance(feeds, dict) else {}
        self._feeds_changed = False
        self._verified: set[str] = set()
        # Each episode's share of the key, worked out once per run for all the feeds.
        self._episodes: dict[str, tuple[PublishedEpisode, str]] = {}
        self.rendered = 0

    @classmethod
    def of(
        cls, settings: Settings, *, describe: Callable[[Episode], str] | None = None
    ) -> ItemCache:
        return cls(settings.cache_dir / ITEMS_FILE, describe=describe)

    @staticmethod
    def channel_digest(feed: Feed, *, artwork: StoredFile, public_url: str) -> str:
        """What a feed's items take from the feed: its definition, artwork and public URL."""
        digest = new_digest(f"{feed.name}\0{public_url}\0".encode())
        digest.update(feed.model_dump_json().encode())
        digest.update(json.dumps(asdict(artwork), sort_keys=True).encode())
        return digest.hexdigest()

    def item(self, channel: str, published: PublishedEpisode, render: Callable[[], bytes]) -> bytes:
        """The item's XML: as cached for these very inputs, else `render()`ed now."""
        episode = self._episode_digest(published)
        mine = self._items.setdefault(channel, {})
        xml = mine.get(episode)
        if xml is None:
            old = self._old.get(channel)
            xml = old.get(episode) if isinstance(old, dict) else None
            if not (isinstance(xml, str) and xml.startswith("    <item>")):  # else damaged
                self.rendered += 1
                xml = render().decode("utf-8")
            mine[episode] = xml
        return xml.encode("utf-8")

    def knows(self, published: PublishedEpisode) -> bool:
        """Whether some feed's item for this very episode is cached (its Markdown rendered)."""
        episode = self._episode_digest(published)
        return any(isinstance(old, dict) and episode in old for old in self._old.values())

    def _episode_digest(self, published: PublishedEpisode) -> str:
        known = self._episodes.get(published.guid)
        # The same objects: both feeds list the run's one PublishedEpisode per episode.
        if known is not None and known[0] is published:
            return known[1]
        digest = new_digest(self._describe(published.episode).encode())
        digest.update(_RECORD.dump_json(published.record))
        self._episodes[published.guid] = (published, digest.hexdigest())
        return digest.hexdigest()

    def feed_as_stored(self, key: str, xml: bytes | None) -> FeedItems | None:
        """The items of `xml`, the feed stored under `key`, if this cache saw it built."""
        known = self._feeds.get(key)
        if xml is None or not isinstance(known, list) or len(known) != 4:
            return None
        digest, channel_guid, count, items = known
        if digest != data_digest(xml) or not isinstance(items, dict):
            return None
        try:
            parsed = {str(guid): (str(title), str(item)) for guid, (title, item) in items.items()}
            return FeedItems(channel_guid and str(channel_guid), parsed, int(count))
        except (TypeError, ValueError):
            return None  # damaged: the feed is parsed

    def remember_feed(self, key: str, xml: bytes, built: FeedItems) -> None:
        self._feeds_changed = True
        items = {guid: list(item) for guid, item in built.items.items()}
        self._feeds[key] = [data_digest(xml), built.channel_guid, built.count, items]

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
        verified = self._verified | self._old_verified
        if len(verified) > 3 * sum(len(items) for items in self._items.values()):
            verified = self._verified
        if self._items != self._old or verified != self._old_verified or self._feeds_changed:
            data = {"key": self.key, "items": self._items, "verified": sorted(verified)}
            write_json(self.path, {**data, "feeds": self._feeds})
