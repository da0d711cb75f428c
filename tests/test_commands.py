"""The one routine of the writing commands: plan, lock, re-plan if needed, run, pages, notify."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from sampleshow import NOW, publish_into, sample_episodes
from showpipe.commands.locked import run_locked
from showpipe.commands.publish import publish, unpublish
from showpipe.commands.run import Outcome, Run
from showpipe.commands.site import build_show_site, refresh_site
from showpipe.config import Settings
from showpipe.errors import BusyError
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.publishing.lock import project_lock
from showpipe.publishing.plan import Plan, plan_publish
from showpipe.storage.local import LocalStorage
from showpipe.web.siteindex import INDEX_MEMO_FILE, SITE_INDEX_KEY, stored_inputs


@pytest.fixture
def run(settings: Settings) -> Run:
    return Run(settings, LocalStorage(settings.root / "public"), NOW)


def feed_guids(storage: LocalStorage) -> set[str]:
    parsed = feedparser.parse((storage.root / "feeds" / "show.xml").read_bytes())
    return {entry.id for entry in parsed.entries}


def test_a_run_replans_on_the_manifest_another_run_wrote_meanwhile(
    run: Run, make_episode: Callable[..., Path]
) -> None:
    ours, theirs = make_episode("ours"), make_episode("theirs")
    project = load_project(run.settings)
    calls = []

    def make_plan() -> Plan:
        calls.append(len(calls))
        plan = plan_publish(project, run.storage, [ours], now=run.now)
        if len(calls) == 1:  # between our plan and our lock, another run publishes
            publish_into(run.storage, run.settings, [theirs])
        return plan

    outcome = run_locked(run, "publish", make_plan)

    assert len(calls) == 2 and outcome.wrote
    published = read_manifest(run.storage).episodes
    episodes = {e.source: e for e in load_project(run.settings).episodes}
    for path in (ours, theirs):  # neither run undid the other
        guid = episodes[path].guid
        assert guid in published and guid in feed_guids(run.storage)


def test_an_unchanged_show_takes_no_lock_and_writes_nothing(run: Run) -> None:
    assert publish(run, sample_episodes(run.settings)).wrote
    stamps = {p: p.stat().st_mtime_ns for p in run.storage.root.rglob("*") if p.is_file()}

    with project_lock(run.settings.state_dir, "someone else"):  # would make a locker fail
        again = publish(run, sample_episodes(run.settings))
        site = build_show_site(run)

    assert not again.wrote and not site.wrote and not site.pages
    assert stamps == {p: p.stat().st_mtime_ns for p in run.storage.root.rglob("*") if p.is_file()}


def test_a_run_with_work_to_do_waits_for_no_one(run: Run) -> None:
    with project_lock(run.settings.state_dir, "someone else"), pytest.raises(BusyError):
        publish(run, sample_episodes(run.settings))
    assert not (run.storage.root / "feeds").exists()


def test_the_last_step_runs_while_the_lock_is_held(run: Run) -> None:
    project = load_project(run.settings)
    held: list[bool] = []

    def try_the_lock(plan: Plan, manifest_version: str | None) -> None:
        with pytest.raises(BusyError):
            with project_lock(run.settings.state_dir, "another run"):
                pass
        held.append(True)

    make_plan = lambda: plan_publish(  # noqa: E731
        project, run.storage, sample_episodes(run.settings), now=run.now
    )
    run_locked(run, "publish", make_plan, under_lock=try_the_lock)
    assert held == [True]


def test_a_dry_run_plans_and_changes_nothing(run: Run, make_episode: Callable[..., Path]) -> None:
    path = make_episode("fresh", guid=None)
    before = path.read_bytes()
    outcome = publish(run, [path], dry_run=True)
    assert not outcome.wrote and outcome.plan.changes_anything
    assert path.read_bytes() == before and not run.storage.root.exists()


def test_unpublish_runs_the_plan_then_deletes_what_no_feed_names(run: Run) -> None:
    episodes = sample_episodes(run.settings)
    publish(run, episodes)
    outcome = unpublish(run, episodes[0], delete_media=True)
    guid = load_project(run.settings).episode_at(episodes[0]).guid
    assert outcome.plan.deletions and guid not in feed_guids(run.storage)
    assert all(not (run.storage.root / key).exists() for key in outcome.plan.deletions)
    assert "unpublished: true" in episodes[0].read_text()


def test_an_unchanged_site_is_known_before_any_run_is_opened(run: Run) -> None:
    assert publish(run, sample_episodes(run.settings)).wrote
    opened: list[Run] = []

    def open_run() -> Run:
        opened.append(run)
        return run

    def site() -> Outcome | None:
        return refresh_site(run.settings, run.storage, now=run.now, open_run=open_run)

    first = site()  # publish wrote the pages; this run records what they were made from
    assert first is not None and not first.pages and len(opened) == 1
    assert site() is None and len(opened) == 1  # nothing changed: no run, no project
    seen = run.settings.cache_dir / INDEX_MEMO_FILE  # the index, as last read or written
    seen.unlink()
    assert site() is None and seen.exists() and len(opened) == 1
    path = run.settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", "title: The Pilot"))
    edited = site()
    assert edited is not None and "episodes/pilot.html" in edited.pages and len(opened) == 2


class CountingStorage(LocalStorage):
    """A local folder that counts the writes of each key."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.writes: Counter[str] = Counter()

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        self.writes[key] += 1
        super().put_bytes(key, data, content_type=content_type, cache_control=cache_control)


def test_site_records_its_inputs_under_the_lock_in_its_one_write_of_the_index(
    run: Run,
) -> None:
    storage = CountingStorage(run.storage.root)
    publish_into(storage, run.settings)  # the media and the feeds, no page yet
    counted = dataclasses.replace(run, storage=storage)

    def site() -> Outcome | None:
        return refresh_site(run.settings, storage, now=run.now, open_run=lambda: counted)

    written = site()
    assert written is not None and "index.html" in written.pages
    assert storage.writes[SITE_INDEX_KEY] == 1 and stored_inputs(storage)
    # pages unchanged but an input changed: its record is written, and only under the lock
    path = run.settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text() + "# a comment changes the bytes, not the pages\n")
    with project_lock(run.settings.state_dir, "someone else"), pytest.raises(BusyError):
        site()
    assert storage.writes[SITE_INDEX_KEY] == 1
    recorded = site()
    assert recorded is not None and not recorded.pages and storage.writes[SITE_INDEX_KEY] == 2
    assert site() is None
