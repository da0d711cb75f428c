"""The caches under .showpipe/cache/: what they save, and that they never change the feeds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import showpipe.model.cache
from sampleshow import NOW, publish_sample
from showpipe.config import Settings
from showpipe.errors import EpisodeError
from showpipe.feeds import build_feed
from showpipe.feeds.cache import ITEMS_FILE, ItemCache
from showpipe.model.cache import EPISODES_FILE, EpisodeCache
from showpipe.model.manifest import read_manifest
from showpipe.model.project import Project, load_project
from showpipe.model.published import due_episodes
from showpipe.publishing.plan import plan_feeds_only
from showpipe.storage.local import LocalStorage


def feeds_now(settings: Settings, storage: LocalStorage) -> dict[str, bytes]:
    """Every feed as `showpipe feeds` would build it now."""
    return {f.name: f.xml for f in plan_feeds_only(load_project(settings), storage, now=NOW).feeds}


def cache_hits(settings: Settings) -> tuple[Project, int]:
    cache = EpisodeCache.of(settings)
    return load_project(settings, cache=cache), cache.hits


def show_feed(settings: Settings, storage: LocalStorage, items: ItemCache) -> bytes:
    """The show feed built with `items`, from the published manifest."""
    project, manifest = load_project(settings), read_manifest(storage)
    feed = next(f for f in project.feeds if f.name == "show")
    return build_feed(
        feed,
        due_episodes(project, manifest, NOW),
        artwork=manifest.feeds["show"].artwork,
        public_url=settings.public_url,
        items=items,
    )


def test_a_cached_run_builds_byte_identical_feeds(settings: Settings) -> None:
    storage = publish_sample(settings)  # which leaves its caches behind
    assert cache_hits(settings)[1] == 3
    cached = feeds_now(settings, storage)
    shutil.rmtree(settings.cache_dir)
    assert cache_hits(settings)[1] == 0
    cold = feeds_now(settings, storage)
    assert cold == cached
    assert cold == {n: (storage.root / "feeds" / f"{n}.xml").read_bytes() for n in cold}


def test_pages_made_from_cached_episodes_need_no_render(settings: Settings) -> None:
    """An episode from the cache and one read from its YAML are equal, so every page's
    inputs are too: a run after a cold one re-renders nothing (5,000 episode pages did)."""
    from showpipe.web.site import build_site

    storage = publish_sample(settings)
    manifest = read_manifest(storage)

    def sources() -> dict[str, str]:
        project, hits = cache_hits(settings)
        assert hits == (0 if not (settings.cache_dir / EPISODES_FILE).exists() else 3)
        return {page.key: page.source for page in build_site(project, manifest, now=NOW)}

    cached = sources()
    shutil.rmtree(settings.cache_dir)
    assert sources() == cached


def test_unchanged_items_are_not_rendered_again(settings: Settings) -> None:
    storage = publish_sample(settings)
    (settings.cache_dir / ITEMS_FILE).unlink()
    first = ItemCache.of(settings)
    xml = show_feed(settings, storage, first)
    assert first.rendered == 3
    first.save()
    again = ItemCache.of(settings)
    assert show_feed(settings, storage, again) == xml
    assert again.rendered == 0


def test_an_edited_episode_is_read_and_rendered_again(settings: Settings) -> None:
    storage = publish_sample(settings)
    path = settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", "title: The Pilot"))
    project, hits = cache_hits(settings)
    assert hits == 2
    assert project.episode_at(path).title == "The Pilot"
    plan = plan_feeds_only(project, storage, now=NOW)
    changed = [(f.name, f.added, f.updated) for f in plan.feeds if f.changed]
    assert changed == [("show", [], ["The Pilot"])]
    assert b"<title>The Pilot</title>" in plan.feeds[0].xml


def test_a_new_version_or_public_url_starts_the_caches_afresh(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = publish_sample(settings)
    moved = replace(settings, public_url="https://cdn.example.com/show/")
    items = ItemCache.of(moved)
    xml = show_feed(moved, storage, items)
    assert items.rendered == 3
    assert b'url="https://cdn.example.com/show/media/' in xml
    assert b"localhost" not in xml
    monkeypatch.setattr(showpipe.model.cache, "__version__", "99.0")
    assert cache_hits(settings)[1] == 0
    items = ItemCache.of(settings)
    show_feed(settings, storage, items)
    assert items.rendered == 3


def spoil(value: Any) -> Any:
    """Every value of a cache file damaged, its key and the YAML digests kept."""
    if isinstance(value, dict):
        return {k: v if k == "key" else spoil(v) for k, v in value.items()}
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        return [value[0], "{"]  # an episode's digest, and JSON cut short
    return [spoil(v) for v in value] if isinstance(value, list) else "x"


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "\x00\xff not json",
        lambda text: "[1, 2, 3]",
        lambda text: json.dumps(spoil(json.loads(text))),
    ],
    ids=["truncated", "binary", "a-list", "damaged-entries"],
)
def test_a_damaged_cache_is_a_cold_run(settings: Settings, damage) -> None:  # type: ignore[no-untyped-def]
    storage = publish_sample(settings)
    good = feeds_now(settings, storage)
    for name in (EPISODES_FILE, ITEMS_FILE):
        path = settings.cache_dir / name
        path.write_text(damage(path.read_text()))
    assert cache_hits(settings)[1] == 0
    assert feeds_now(settings, storage) == good
    # and the run put the caches right again
    assert cache_hits(settings)[1] == 3
    items = ItemCache.of(settings)
    show_feed(settings, storage, items)
    assert items.rendered == 0


def test_a_failed_run_keeps_no_cache(settings: Settings, make_episode: Callable[..., Path]) -> None:
    make_episode("broken", audio="media/missing.mp3")
    with pytest.raises(EpisodeError, match="missing.mp3"):
        publish_sample(settings)
    assert not Path(settings.cache_dir / EPISODES_FILE).exists()
