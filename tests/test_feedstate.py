"""Cron's no-change runs: skipped without loading the project, and never wrongly."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sampleshow import NOW, publish_sample
from showpipe.commands.feeds import refresh_feeds
from showpipe.commands.run import Outcome, Run
from showpipe.config import Settings
from showpipe.model.episode import Episode
from showpipe.model.loading import load_episode
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.model.yamlfile import read_yaml, read_yaml_fast
from showpipe.publishing.feedstate import (
    DIGESTS_FILE,
    fingerprint,
    input_digests,
    nothing_to_do,
)
from showpipe.storage.local import LocalStorage


def cron(settings: Settings, storage: LocalStorage, now: datetime = NOW) -> Outcome | None:
    """One `showpipe feeds` run at `now`."""
    return refresh_feeds(Run(settings, storage, now))


def quiet(settings: Settings, storage: LocalStorage, now: datetime) -> bool:
    """Whether cron's run at `now` would find nothing to do."""
    return nothing_to_do(settings, storage, input_digests(settings, storage), now)


@pytest.fixture
def storage(settings: Settings, make_episode: Callable[..., Path]) -> LocalStorage:
    """The sample published, one episode scheduled for Christmas, then one full cron run."""
    make_episode("xmas", published="2026-12-24T09:00:00+01:00")
    storage = publish_sample(settings)
    assert cron(settings, storage, NOW) is not None
    return storage


def test_an_unchanged_project_is_recognised(settings: Settings, storage: LocalStorage) -> None:
    assert quiet(settings, storage, NOW)
    assert cron(settings, storage, NOW) is None


def test_an_edited_yaml_file_means_a_full_run(settings: Settings, storage: LocalStorage) -> None:
    path = settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", "title: The Pilot"))
    assert not quiet(settings, storage, NOW)
    refreshed = cron(settings, storage, NOW)
    assert refreshed is not None and refreshed.plan.feeds[0].updated == ["The Pilot"]
    assert quiet(settings, storage, NOW)


def test_a_scheduled_episode_falling_due_means_a_full_run(
    settings: Settings, storage: LocalStorage
) -> None:
    assert quiet(settings, storage, datetime(2026, 12, 24, 7, 59, tzinfo=UTC))
    due = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    assert not quiet(settings, storage, due)
    refreshed = cron(settings, storage, due)
    assert refreshed is not None and refreshed.plan.feeds[0].added == ["Episode xmas"]


def test_an_earlier_clock_than_the_last_run_means_a_full_run(
    settings: Settings, storage: LocalStorage
) -> None:
    assert not quiet(settings, storage, datetime(2026, 11, 1, tzinfo=UTC))


def test_a_feed_changed_in_storage_means_a_full_run(
    settings: Settings, storage: LocalStorage
) -> None:
    feed = storage.root / "feeds" / "show.xml"
    good = feed.read_bytes()
    feed.write_bytes(good.replace(b"<title>", b"<title>x", 1))
    assert not quiet(settings, storage, NOW)
    assert cron(settings, storage, NOW) is not None
    assert feed.read_bytes() == good


def test_an_unchanged_feed_is_not_rewritten(settings: Settings, storage: LocalStorage) -> None:
    (settings.cache_dir / "feeds-state.json").unlink()  # force the full run
    feed = storage.root / "feeds" / "show.xml"
    stamp = feed.stat().st_mtime_ns
    refreshed = cron(settings, storage, NOW)
    assert refreshed is not None and not refreshed.plan.changes_anything
    assert feed.stat().st_mtime_ns == stamp


def test_the_fast_yaml_reader_reads_the_sample_as_ruamel_does(settings: Settings) -> None:
    for path in sorted(settings.episodes_dir.glob("*.yaml")):
        fast = read_yaml_fast(path)
        assert fast is not None
        assert Episode.model_validate(
            {**fast, "slug": path.stem, "source": path}, context={"base": path.parent}
        ) == Episode.model_validate(
            {**read_yaml(path), "slug": path.stem, "source": path},
            context={"base": path.parent},
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("no", "no"), ("1:30", "1:30"), ("010", "010"), ("true", True), ("0x1F", 31), ("1.5", 1.5)],
)
def test_the_fast_yaml_reader_follows_yaml_1_2(tmp_path: Path, text: str, expected: object) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(f"value: {text}\n")
    assert read_yaml_fast(path) == {"value": expected}


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1.5, c: [x, 2]}\nd: *x\n",
        "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
        "? [1, 2]\n: x\n",
        "s: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\n",
        "t: 2020-01-01T00:00:00Z\nu: 2020-02-28\nn: ~\n'': .inf\n",
        "=: v\nx: !!binary aGVsbG8=\n",
        "- a\n- [b, {c: d}]\n",
    ],
)
def test_the_fast_yaml_reader_builds_what_pyyaml_builds(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    built = read_yaml_fast(path)
    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506
    except yaml.YAMLError:  # an unhashable key: the slow reader says where
        expected = None
    assert built == (expected if isinstance(expected, dict) else None)
    if built and "d" in built:  # an alias is the very object its anchor names, as in PyYAML
        assert built["d"] is built["a"]


def test_the_fast_yaml_reader_keeps_recursive_aliases(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("r: &r [1, *r]\n")
    built = read_yaml_fast(path)
    assert built is not None and built["r"][1] is built["r"]


def test_duplicate_keys_fall_back_to_the_line_numbered_error(
    make_episode: Callable[..., Path],
) -> None:
    from showpipe.errors import ValidationError

    path = make_episode("dup")
    path.write_text(path.read_text() + "title: again\n")
    assert read_yaml_fast(path) is None
    with pytest.raises(ValidationError, match=r"dup.yaml:\d+: invalid YAML"):
        load_episode(path)


def test_a_yaml_1_1_trap_loads_as_text(make_episode: Callable[..., Path]) -> None:
    path = make_episode("trap")
    path.write_text(path.read_text().replace("title: Episode trap", "title: no"))
    assert load_episode(path).title == "no"


def test_new_feed_artwork_means_a_full_run(settings: Settings, storage: LocalStorage) -> None:
    from mediafactory import make_artwork

    before = read_manifest(storage).feeds["show"].artwork
    make_artwork(settings.feeds_dir / "artwork" / "show.jpg", 1500, label="New look")
    assert not quiet(settings, storage, NOW)
    refreshed = cron(settings, storage, NOW)
    assert refreshed is not None
    plan = refreshed.plan
    assert any(u.needed for u in plan.uploads)
    assert plan.feeds[0].changed and not plan.feeds[1].changed
    # measured again, not taken from the record of the artwork published before
    after = read_manifest(storage).feeds["show"].artwork
    assert (before.width, after.width, after.height) == (1400, 1500, 1500)


def test_the_fingerprint_follows_each_feed_yaml_and_the_artwork_it_names(
    settings: Settings, storage: LocalStorage
) -> None:
    before = fingerprint(settings, input_digests(settings, storage).digests)
    assert fingerprint(settings, input_digests(settings, storage).digests) == before
    # any change to a feed's YAML bytes is seen, and undoing it restores the fingerprint
    feed = settings.feeds_dir / "videos.yaml"
    text = feed.read_text()
    feed.write_text(text + "# a comment only\n")
    assert fingerprint(settings, input_digests(settings, storage).digests) != before
    feed.write_text(text)
    assert fingerprint(settings, input_digests(settings, storage).digests) == before
    # the artwork a feed names is hashed by content: the same path with new bytes is seen
    artwork = settings.feeds_dir / "artwork" / "show.jpg"
    assert (read_yaml_fast(settings.feeds_dir / "show.yaml") or {})["artwork"] == "artwork/show.jpg"
    artwork.write_bytes(artwork.read_bytes() + b"\0")
    assert fingerprint(settings, input_digests(settings, storage).digests) != before


def publish_run(
    settings: Settings, storage: LocalStorage, paths: list[Path], **run: Any
) -> Outcome:
    """One `showpipe publish` run of `paths` at NOW, through the commands layer."""
    from showpipe.commands.publish import publish

    return publish(Run(settings, storage, NOW, **run), paths)


def test_cron_after_a_publish_has_nothing_to_do(
    settings: Settings, storage: LocalStorage, make_episode: Callable[..., Path]
) -> None:
    # the new episode has no GUID yet: the publish writes one into its YAML
    path = make_episode("new", guid=None, published="2026-11-20T10:00:00+00:00")
    outcome = publish_run(settings, storage, [path])
    assert outcome.plan.yaml_writes and outcome.plan.manifest_changed
    assert quiet(settings, storage, NOW)
    assert cron(settings, storage, NOW) is None


def test_a_file_edited_during_a_publish_is_seen_by_the_next_cron_run(
    settings: Settings, storage: LocalStorage, make_episode: Callable[..., Path]
) -> None:
    path = make_episode("new", published="2026-11-20T10:00:00+00:00")
    pilot = settings.episodes_dir / "pilot.yaml"

    @contextmanager
    def edit_while_writing(step: str) -> Iterator[None]:
        if step.startswith("write the pages"):  # the publish has read every file by now
            pilot.write_text(pilot.read_text().replace("title: Pilot", "title: The Pilot"))
        yield

    publish_run(settings, storage, [path], step=edit_while_writing)
    assert not quiet(settings, storage, NOW)
    refreshed = cron(settings, storage, NOW)
    assert refreshed is not None and refreshed.plan.feeds[0].updated == ["The Pilot"]


def test_a_run_builds_the_bytes_it_took_the_digest_of(settings: Settings) -> None:
    """A file edited between the run's digest of it and its loading: the run loads what it
    hashed (never a digest of one text kept for an episode built from another), and the
    next run sees the edit."""
    pilot = settings.episodes_dir / "pilot.yaml"
    inputs = input_digests(settings, None)
    pilot.write_text(pilot.read_text().replace("title: Pilot", "title: The Pilot"))
    project = load_project(settings, seen=inputs.episodes)
    assert [e.title for e in project.episodes if e.source.name == "pilot.yaml"] == ["Pilot"]
    assert input_digests(settings, None).digests != inputs.digests


def test_a_run_knows_whether_an_earlier_run_left_a_record_of_the_files(
    settings: Settings, storage: LocalStorage
) -> None:
    """What tells a run, before it imports the models, that nothing is cached (a big show's
    first run then starts its workers at once): no earlier run's record of the files. A
    file changed since, or every file touched, is not that: the caches still hold them."""
    shutil.rmtree(settings.cache_dir)
    assert not input_digests(settings, None).remembered
    time.sleep(2.1)  # files are recorded by identity once settled for two seconds
    assert cron(settings, storage, NOW) is not None  # which records them
    recorded = input_digests(settings, None)
    assert recorded.remembered
    assert all(seen.raw is None for seen in recorded.episodes.values())  # none read again
    for path in settings.episodes_dir.glob("*.yaml"):
        path.write_text(path.read_text() + "\n")
    inputs = input_digests(settings, None)
    assert inputs.remembered and all(seen.raw is not None for seen in inputs.episodes.values())


def test_a_damaged_record_of_the_files_means_every_file_is_read(
    settings: Settings, storage: LocalStorage
) -> None:
    """The record is a shortcut: cut short (a full disk, say), it is no record at all."""
    time.sleep(2.1)  # files are recorded by identity once settled for two seconds
    assert cron(settings, storage, NOW) is None  # which records them
    assert all(seen.raw is None for seen in input_digests(settings, None).episodes.values())
    record = settings.cache_dir / DIGESTS_FILE
    record.write_bytes(record.read_bytes()[:-10])
    inputs = input_digests(settings, None)
    assert not inputs.remembered
    assert all(seen.raw is not None for seen in inputs.episodes.values())
    assert quiet(settings, storage, NOW)  # the same digests: still nothing to do


def test_an_edit_that_keeps_size_and_time_is_seen_by_cron(
    settings: Settings, storage: LocalStorage
) -> None:
    """Cron reads only the files whose identity changed; an edit that keeps the size and puts
    the modification time back still changes the file's change time, so it is read."""
    path = settings.episodes_dir / "pilot.yaml"
    stamp = path.stat()
    time.sleep(2.1)  # files are trusted by identity once settled for two seconds
    assert cron(settings, storage, NOW) is None  # which keeps the identities
    path.write_text(path.read_text().replace("title: Pilot", "title: Tolip"))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert not quiet(settings, storage, NOW)
    refreshed = cron(settings, storage, NOW)
    assert refreshed is not None and refreshed.plan.feeds[0].updated == ["Tolip"]
