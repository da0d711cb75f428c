"""The caches under .showpipe/cache/: what they save, and that they never change the feeds."""

from __future__ import annotations

import gc
import importlib
import json
import os
import pickle
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PosixPath
from typing import Any, NoReturn

import pytest
from blake3 import blake3

import showpipe.model.cache
import showpipe.model.manifest
import showpipe.sealed
from sampleshow import NOW, publish_sample
from showpipe import parallel
from showpipe.config import Settings
from showpipe.digests import data_digest
from showpipe.errors import EpisodeError, StorageError, ValidationError
from showpipe.feeds import Descriptions, build_feed
from showpipe.feeds.cache import ITEMS_FILE, ItemCache
from showpipe.feeds.readback import feed_items
from showpipe.model.cache import (
    EPISODES_FILE,
    MANIFEST_FILE,
    EpisodeCache,
    ManifestMemo,
    code_key,
)
from showpipe.model.manifest import (
    MANIFEST_KEY,
    Manifest,
    encode_manifest,
    parse_manifest,
    read_manifest,
    read_manifest_versioned,
    record_digest,
)
from showpipe.model.project import Project, load_project
from showpipe.model.published import NewestFirst, due_episodes
from showpipe.publishing.feedplan import plan_feeds
from showpipe.publishing.guard import keys_in_feed
from showpipe.publishing.plan import plan_feeds_only
from showpipe.sealed import Layered, Sealing, path_from_text, read_sealed, write_sealed
from showpipe.storage.local import LocalStorage


def feeds_now(settings: Settings, storage: LocalStorage) -> dict[str, bytes]:
    """Every feed as `showpipe feeds` would build it now."""
    return {f.name: f.xml for f in plan_feeds_only(load_project(settings), storage, now=NOW).feeds}


def cache_hits(settings: Settings) -> tuple[Project, int]:
    cache = EpisodeCache.of(settings)
    return load_project(settings, cache=cache), cache.hits


def show_feed(settings: Settings, storage: LocalStorage) -> tuple[bytes, ItemCache]:
    """The show feed built from the published manifest, as a planning of the feeds builds
    it (with the item cache it opens), and that cache."""
    project, manifest = load_project(settings), read_manifest(storage)
    assert project.cache is not None
    items = ItemCache.of(settings, describe=project.cache.describe)
    feed = next(f for f in project.feeds if f.name == "show")
    built = build_feed(
        feed,
        due_episodes(project, manifest, NOW),
        artwork=manifest.feeds["show"].artwork,
        public_url=settings.public_url,
        items=items,
    )
    return built.xml, items


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
    xml, first = show_feed(settings, storage)
    assert first.rendered == 3
    first.save()
    again_xml, again = show_feed(settings, storage)
    assert again_xml == xml
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


@pytest.mark.parametrize(
    ("before", "after", "rendered", "in_items"),
    [
        # the channel's own text: no item is made from it
        ("Ada and Grace talk", "Ada and Grace chat", 0, 0),
        # a host: every item lists the hosts (podcast:person) with its guests
        ("name: Grace Hopper", "name: Grace B. Hopper", 3, 3),
    ],
    ids=["description", "host"],
)
def test_a_feed_edit_renders_its_items_again_only_if_they_are_made_from_it(
    settings: Settings, before: str, after: str, rendered: int, in_items: int
) -> None:
    """After a feed's own YAML changes, its items are rendered again (in `render_items`'
    batches, on every core for a big show) only when the change is to what items are made
    of (`item.ItemFeed`); either way the feeds are those of a cold build, and the other
    feed's items stay cached."""
    storage = publish_sample(settings)
    path = settings.feeds_dir / "show.yaml"
    assert before in path.read_text()
    path.write_text(path.read_text().replace(before, after))
    project, manifest = load_project(settings), read_manifest(storage)
    assert project.cache is not None
    items = ItemCache.of(settings, describe=project.cache.describe)
    due = due_episodes(project, manifest, NOW)
    updates = plan_feeds(
        project, storage, manifest, due_all=due, now=NOW, descriptions=Descriptions(), items=items
    )[0]
    listed = {f.name: sum(1 for p in due if f.medium_of(p.record.media)) for f in project.feeds}
    assert listed == {"show": 3, "videos": 1}
    assert (items.rendered, items.batched) == (0, rendered)  # none one by one
    edited = {u.name: u.xml for u in updates}
    items_xml = edited["show"][edited["show"].index(b"<item>") :]
    new_text = after.removeprefix("name: ").encode()
    assert new_text in edited["show"] and items_xml.count(new_text) == in_items
    shutil.rmtree(settings.cache_dir)
    assert feeds_now(settings, storage) == edited  # as a cold build


def test_a_new_version_or_public_url_starts_the_caches_afresh(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = publish_sample(settings)
    moved = replace(settings, public_url="https://cdn.example.com/show/")
    xml, items = show_feed(moved, storage)
    assert items.rendered == 3
    assert b'url="https://cdn.example.com/show/media/' in xml
    assert b"localhost" not in xml
    assert not EpisodeCache.of(settings).empty
    monkeypatch.setattr(showpipe.model.cache, "__version__", "99.0")
    assert EpisodeCache.of(settings).empty  # a cold run, though the file is there
    assert cache_hits(settings)[1] == 0
    assert show_feed(settings, storage)[1].rendered == 3


def test_a_new_sanitiser_renders_every_item_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items hold descriptions as markdown-it-py rendered and nh3 sanitised them: a new
    release of either (a sanitiser fix, say) must reach every cached item."""
    import showpipe.feeds.cache

    storage = publish_sample(settings)
    assert show_feed(settings, storage)[1].rendered == 0
    installed = showpipe.feeds.cache.version
    monkeypatch.setattr(
        showpipe.feeds.cache, "version", lambda name: "9.9" if name == "nh3" else installed(name)
    )
    assert show_feed(settings, storage)[1].rendered == 3


def spoil(value: Any) -> Any:
    """Every value of a cache's data damaged, the YAML digests kept."""
    if isinstance(value, dict):
        return {k: spoil(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[0], str):
        return [value[0], b"{"]  # an episode's digest, and XML cut short
    return [spoil(v) for v in value] if isinstance(value, list | tuple) else "x"


def spoil_items(path: Path, key: str) -> None:
    """The item cache sealed as ours, its every value damaged."""
    write_sealed(path, key, spoil(read_sealed(path, key)))


@pytest.mark.parametrize(
    "damage",
    [
        lambda path, key: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path, key: path.write_bytes(flip_last_byte(path.read_bytes())),
        lambda path, key: path.write_bytes(b"\x00\xff not a cache"),
        lambda path, key: write_sealed(path, key, [1, 2, 3]),
        spoil_items,
    ],
    ids=["truncated", "one-bit", "binary", "a-list", "damaged-entries"],
)
def test_a_damaged_item_cache_is_a_cold_run(settings: Settings, damage) -> None:  # type: ignore[no-untyped-def]
    storage = publish_sample(settings)
    good = feeds_now(settings, storage)
    path = settings.cache_dir / ITEMS_FILE
    damage(path, show_feed(settings, storage)[1].key)
    xml, items = show_feed(settings, storage)
    assert xml == good["show"]
    assert items.rendered == 3
    assert feeds_now(settings, storage) == good
    # and the run put the cache right again
    assert show_feed(settings, storage)[1].rendered == 0


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        flip_last_byte,  # one bit of the pickle changed: the seal no longer matches
        lambda data: b"",
        # unsealed: the pickle alone, without the magic line, the seal and the key's line
        lambda data: data[data.index(b"\n") + 33 :].split(b"\n", 1)[1],
    ],
    ids=["truncated", "one-bit", "empty", "unsealed"],
)
def test_a_damaged_episode_cache_is_a_cold_run(settings: Settings, damage) -> None:  # type: ignore[no-untyped-def]
    storage = publish_sample(settings)
    good = feeds_now(settings, storage)
    path = settings.cache_dir / EPISODES_FILE
    path.write_bytes(damage(path.read_bytes()))
    assert cache_hits(settings)[1] == 0
    assert feeds_now(settings, storage) == good
    assert cache_hits(settings)[1] == 3  # the run put the cache right again


def test_an_episode_cache_from_elsewhere_is_never_unpickled(
    settings: Settings, tmp_path: Path
) -> None:
    """A project can come from anywhere, with a `.showpipe/` inside: a pickle in it that this
    user's key did not seal would run code as it loads, so it is not loaded at all."""
    publish_sample(settings)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (marker.write_text, ("ran",))

    path = settings.cache_dir / EPISODES_FILE
    # sealed with another user's key, and bare
    others = sealed_file(os.urandom(32), pickle.dumps(Payload()))
    for planted in (others, pickle.dumps(Payload())):
        path.write_bytes(planted)
        assert cache_hits(settings)[1] == 0
    assert not marker.exists()


def test_a_cache_other_code_sealed_is_never_unpickled(tmp_path: Path) -> None:
    """A cache sealed by this user under another key (another showpipe, or a changed module
    in a checkout) is thrown away unread: its objects would only be built to be dropped."""
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (marker.write_text, ("ran",))

    write_sealed(tmp_path / "c.sealed", "other code", [Payload()])
    assert read_sealed(tmp_path / "c.sealed", "this code") is None
    assert not marker.exists()
    assert read_sealed(tmp_path / "c.sealed", "other code") is not None
    assert marker.read_text() == "ran"  # the same file, under its own key, is read


def test_an_episode_cache_from_before_the_episode_models_moved_is_a_cold_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Episodes were pickled as `showpipe.model.show.Episode` (and its Chapter, Soundbite,
    RemoteMedia, RemoteFile) until the episode models got a module of their own. Such a
    cache reads as no cache, never as a crash, even sealed under today's key."""
    import showpipe.model.episode as episode_models
    import showpipe.model.show as show_models

    publish_sample(settings)
    for old in settings.cache_dir.glob("episodes.*"):
        old.unlink()
    with monkeypatch.context() as before:
        for name in ("Episode", "Chapter", "Soundbite", "RemoteMedia", "RemoteFile"):
            model = getattr(episode_models, name)
            before.setattr(model, "__module__", "showpipe.model.show")
            before.setattr(show_models, name, model, raising=False)
        cache = EpisodeCache.of(settings)
        load_project(settings, cache=cache)
        cache.save()
    (base,) = settings.cache_dir.glob("episodes.*.base")
    assert b"showpipe.model.show" in base.read_bytes()
    assert b"showpipe.model.episode" not in base.read_bytes()
    project, hits = cache_hits(settings)
    assert hits == 0
    cold = load_project(settings, cache=EpisodeCache(settings.cache_dir / "absent"))
    assert [e.model_dump() for e in project.episodes] == [e.model_dump() for e in cold.episodes]
    assert len(project.episodes) == 3
    assert project.cache is not None
    project.cache.save()  # the run puts the cache right again
    assert cache_hits(settings)[1] == 3


def sealed_file(key: bytes, payload: bytes) -> bytes:
    """A cache file as `showpipe.sealed` writes one, sealed with `key`."""
    return b"showpipe-sealed-4\n" + blake3(payload, key=key).digest() + payload


@pytest.mark.parametrize("fold_at", [64, 0], ids=["changes-beside-the-base", "folded"])
def test_the_episode_cache_keeps_edits_and_removals_as_a_cold_load_reads_them(
    settings: Settings, fold_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run saves only what changed beside the pickled base (or folds it in): the next
    run's episodes are the files' as they stand, never an older copy."""
    monkeypatch.setattr(showpipe.sealed, "FOLD_AT_LEAST", fold_at)
    publish_sample(settings)
    pilot = settings.episodes_dir / "pilot.yaml"
    other = next(p for p in sorted(settings.episodes_dir.glob("*.yaml")) if p != pilot)
    for change in (
        lambda: pilot.write_text(pilot.read_text().replace("title: Pilot", "title: The Pilot")),
        lambda: pilot.write_text(pilot.read_text().replace("title: The Pilot", "title: Pilot 2")),
        other.unlink,
    ):
        change()
        cache = EpisodeCache.of(settings)
        load_project(settings, cache=cache)
        cache.save()
    cached, hits = cache_hits(settings)
    cold = load_project(settings, cache=EpisodeCache(settings.cache_dir / "absent"))
    assert hits == len(cold.episodes) == 2
    assert [e.model_dump() for e in cached.episodes] == [e.model_dump() for e in cold.episodes]
    assert cached.episode_at(pilot).title == "Pilot 2"


def test_an_edit_that_keeps_size_and_time_is_seen(settings: Settings) -> None:
    """Files unchanged since they were read are not read again; one changed in the same
    second and size, with its modification time put back, still is (its change time moved)."""
    publish_sample(settings)
    path = settings.episodes_dir / "pilot.yaml"
    stamp = path.stat()
    time.sleep(2.1)  # older than the two seconds after which a file's identity is trusted
    cache_hits(settings)  # which records the identities
    path.write_text(path.read_text().replace("title: Pilot", "title: Tolip"))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    project, hits = cache_hits(settings)
    assert hits == 2
    assert project.episode_at(path).title == "Tolip"


def test_episodes_validated_on_every_core_are_those_validated_one_by_one(
    settings: Settings, make_episode: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def loaded(cache: str) -> Project | list[str]:
        try:
            return load_project(settings, cache=EpisodeCache(settings.cache_dir / cache))
        except ValidationError as e:
            return e.problems

    one_by_one = loaded("a")
    monkeypatch.setattr(parallel, "PARALLEL_LOAD_FROM", 0)  # as for a big show: worker processes
    forked = loaded("b")
    assert isinstance(one_by_one, Project) and isinstance(forked, Project)
    assert forked.episodes == one_by_one.episodes and len(forked.episodes) == 3
    assert forked.cache is not None
    forked.cache.save()  # a worker's episodes are cached like any other
    again = EpisodeCache(settings.cache_dir / "b")
    assert load_project(settings, cache=again).episodes == one_by_one.episodes
    assert again.hits == 3
    make_episode("bad", season="first")
    make_episode("worse", title=None)
    problems = loaded("c")
    assert isinstance(problems, list) and len(problems) == 2
    assert "bad.yaml:" in problems[0] and "worse.yaml:" in problems[1]
    monkeypatch.setattr(parallel, "PARALLEL_LOAD_FROM", 10**6)
    assert loaded("d") == problems  # as found one by one


def test_a_big_shows_first_run_on_workers_builds_what_one_process_builds(
    settings: Settings, make_episode: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run that reads many episode files starts the workers' server before it imports
    the models, and validates and renders on the workers: the feeds are those of a run that
    did everything in one process. (What the early start saves is timed by bench_feeds.)"""
    import showpipe.commands.feeds as feeds_command
    import showpipe.feeds.build as build
    from showpipe.commands.run import Run

    make_episode("second")
    storage = publish_sample(settings)

    def cold_feeds() -> dict[str, bytes]:
        shutil.rmtree(settings.cache_dir)
        outcome = feeds_command.refresh_feeds(Run(settings, storage, NOW), dry_run=True)
        assert outcome is not None
        return {feed.name: feed.xml for feed in outcome.plan.feeds}

    alone = cold_feeds()
    monkeypatch.setattr(parallel, "PARALLEL_LOAD_FROM", 0)  # as for a big show
    monkeypatch.setattr(build, "PARALLEL_RENDER_FROM", 0)
    assert cold_feeds() == alone and len(alone) == 2


def test_a_failed_run_keeps_no_cache(settings: Settings, make_episode: Callable[..., Path]) -> None:
    make_episode("broken", audio="media/missing.mp3")
    with pytest.raises(EpisodeError, match="missing.mp3"):
        publish_sample(settings)
    assert not Path(settings.cache_dir / EPISODES_FILE).exists()


def test_a_built_feed_knows_its_items_as_parsing_it_reads_them(
    settings: Settings, make_episode: Callable[..., Path]
) -> None:
    """The items a build reports (GUID, title as written, digest of the bytes) are those a
    parse of its XML finds, so a run need not parse the feed it has just built: with titles
    that need escaping, and with `<item>` as text inside an item."""
    from showpipe.feeds.readback import feed_items

    make_episode("odd", title="Odd <item> title & more </item>")
    storage = publish_sample(settings)
    project, manifest = load_project(settings), read_manifest(storage)
    due = due_episodes(project, manifest, NOW)
    for feed in project.feeds:
        built = build_feed(
            feed,
            NewestFirst([p for p in due if feed.medium_of(p.record.media)]),
            artwork=manifest.feeds[feed.name].artwork,
            public_url=settings.public_url,
        )
        assert built.items == feed_items(built.xml)
        assert built.items.count == len(built.items.items) > 0


def test_the_manifest_memo_gives_what_parsing_the_stored_bytes_gives(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run that stores a manifest leaves it parsed for the next; a manifest another run
    stored since is parsed, and one showpipe would not write is still refused."""
    storage = publish_sample(settings)
    path = storage.root / MANIFEST_KEY
    assert (settings.cache_dir / MANIFEST_FILE).exists()

    def both() -> tuple[Manifest, Manifest]:
        return (
            read_manifest_versioned(storage, memo=ManifestMemo.of(settings))[0],
            parse_manifest(path.read_bytes(), "m"),
        )

    remembered, parsed = both()
    assert remembered == parsed and remembered.episodes
    # the stored bytes are the memo's: not parsed again, by a new run or twice in one
    with monkeypatch.context() as patched:
        patched.setattr(showpipe.model.manifest, "parse_manifest", _never)
        memo = ManifestMemo.of(settings)
        assert read_manifest_versioned(storage, memo=memo)[0] == parsed
        twice = [read_manifest_versioned(storage, memo=memo)[0] for _ in range(2)]
        assert twice[0] is twice[1]
    # another run removed an episode (the bytes differ): the memo does not give the old one
    guid = next(iter(parsed.episodes))
    fewer = replace(parsed, episodes={g: r for g, r in parsed.episodes.items() if g != guid})
    path.write_bytes(encode_manifest(fewer))
    assert both()[0] == fewer
    data = json.loads(path.read_bytes())
    record = data["episodes"][next(iter(data["episodes"]))]
    record["slug"] = "../" + record["slug"]
    path.write_text(json.dumps(data))
    with pytest.raises(StorageError, match=r"slug: '\.\./"):
        read_manifest_versioned(storage, memo=ManifestMemo.of(settings))


def _never(*args: object) -> NoReturn:
    raise AssertionError("parsed, where the memo knew the bytes")


def test_remembered_record_digests_are_the_records_own(settings: Settings) -> None:
    """Feed items are cached under their records' digests: the memo's are the digests of the
    records as they stand, also for a record changed since."""
    storage = publish_sample(settings)
    memo = ManifestMemo.of(settings)
    parsed = read_manifest_versioned(storage, memo=memo)[0]
    for guid, record in parsed.episodes.items():
        assert memo.describe_record(guid, record) == record_digest(record)
        renamed = replace(record, slug="renamed")
        assert memo.describe_record(guid, renamed) == record_digest(renamed)
        assert record_digest(renamed) != record_digest(record)


@pytest.mark.parametrize("fold_at", [64, 0], ids=["changes-beside-the-base", "folded"])
def test_a_layered_dict_reads_back_as_saved(
    fold_at: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The caches' shared layout: whatever a run adds, changes or removes, the next reads."""
    monkeypatch.setattr(showpipe.sealed, "FOLD_AT_LEAST", fold_at)
    cache = tmp_path / "things.sealed"
    assert Layered.read(cache, "key", None) is None  # nothing saved yet
    layers: Layered[str] | None = Layered()
    now = {f"k{i}": f"v{i}" for i in range(100)}
    bases = set()
    for step in range(4):
        assert layers is not None
        sealing = Sealing()
        saved = layers.saved(cache, "key", now, sealing)
        sealing.write()  # the new base, if any, before it is read
        layers = Layered.read(cache, "key", saved)
        assert layers is not None
        assert layers.entries == now
        bases.add(layers.base)
        now = dict(layers.entries)  # as a run has them: the very objects it read
        # 20 changes: beside a base of 100 up to 64 of them, else folded past an eighth
        for i in range(step * 5, step * 5 + 5):
            now |= {f"k{i}": f"changed in {step}", f"k{90 - i}": "again", f"new{i}": "added"}
            del now[f"k{50 + i}"]
    assert len(bases) == (1 if fold_at else 4)
    assert [p.name for p in tmp_path.iterdir()] == [layers.base]  # folded bases are gone
    assert layers is not None
    assert Layered.read(cache, "other key", (layers.base, {})) is None
    assert Layered.read(cache, "key", ("../elsewhere.base", {})) is None


def test_a_package_s_code_key_covers_every_module_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caches of rendered items and lint findings are keyed by the whole feeds package:
    a module changed in it, or added to it, makes their entries another code's."""
    package = tmp_path / "renderers"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "tags.py").write_text("NAME = 'podcast:value'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("renderers")
    keys = {code_key(module)}
    (package / "inner" / "tags.py").write_text("NAME = 'podcast:values'\n")
    keys.add(code_key(module))
    (package / "added.py").write_text("")
    keys.add(code_key(module))
    assert len(keys) == 3


@pytest.mark.parametrize("freeze", [False, True])
def test_what_a_cache_holds_is_frozen_only_when_the_program_asks(
    freeze: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """gc.freeze is for good and process-wide: a library caller keeps its collector as it
    was, and the CLI, whose process ends with its run, has the loaded objects frozen."""
    monkeypatch.setattr(showpipe.sealed, "FREEZE_LOADED", freeze)
    write_sealed(tmp_path / "c.sealed", "key", [[i] for i in range(1000)])
    gc.unfreeze()
    try:
        assert read_sealed(tmp_path / "c.sealed", "key") == [[i] for i in range(1000)]
        assert (gc.get_freeze_count() >= 1000) is freeze
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "text",
    ["/", "/a", "/tmp/show/episodes/ep1.yaml", "a", "a/b/c.mp3", ".", "//host/x", "/é ü/x y.yaml"],
)
def test_a_path_rebuilt_from_its_text_is_the_path(text: str) -> None:
    """The episode cache rebuilds paths from their text without parsing it (Python 3.11):
    each must be the path pathlib makes, in every respect a caller uses."""
    path = PosixPath(text)
    rebuilt = path_from_text(str(path))
    assert rebuilt == path and hash(rebuilt) == hash(path)
    assert (str(rebuilt), rebuilt.parts, rebuilt.name, rebuilt.suffix) == (
        str(path),
        path.parts,
        path.name,
        path.suffix,
    )
    assert (rebuilt.parent, rebuilt / "x", rebuilt.is_absolute()) == (
        path.parent,
        path / "x",
        path.is_absolute(),
    )


def test_a_check_in_between_leaves_the_stored_feeds_known(settings: Settings) -> None:
    """`check` builds feeds it does not store: the next run still knows the stored ones
    without parsing them (a publish after a check once parsed the whole feed again), however
    many checks of other builds ran in between."""
    from showpipe.checks.project import check_project

    storage = publish_sample(settings)
    path = settings.episodes_dir / "pilot.yaml"
    for title in ("The Pilot", "A Pilot", "Pilot One", "Pilot Two"):
        path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}", path.read_text()))
        check_project(settings, storage, now=NOW)
    stored = (storage.root / "feeds" / "show.xml").read_bytes()
    items = ItemCache.of(settings)
    known = items.feed_as_stored("feeds/show.xml", data_digest(stored))
    assert known is not None
    parsed = feed_items(stored)
    assert (known.items.channel_guid, known.items.items, known.items.count) == (
        parsed.channel_guid,
        parsed.items,
        parsed.count,
    )
    assert known.named() == set(keys_in_feed(stored)) and known.named()
    assert items.feed_as_stored("feeds/show.xml", data_digest(stored + b" ")) is None


def test_a_manifest_memo_whose_records_file_is_gone_parses_the_manifest(
    settings: Settings,
) -> None:
    """The memo keeps the records in a file of its own: with it gone (deleted by hand, or by
    another run's fold) the manifest is parsed, never taken as having no episodes."""
    storage = publish_sample(settings)
    data = (storage.root / MANIFEST_KEY).read_bytes()
    for base in settings.cache_dir.glob("manifest.*.base"):
        base.unlink()
    assert read_manifest_versioned(storage, memo=ManifestMemo.of(settings))[0] == (
        parse_manifest(data, "m")
    )
    assert parse_manifest(data, "m").episodes
