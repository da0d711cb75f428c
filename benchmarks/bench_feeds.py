"""`showpipe feeds`, `publish` and `check` on a show of many published episodes.

Makes a project of SHOWPIPE_BENCH_EPISODES episodes (default 5,000; use a few hundred while
developing) with the sample show's two feeds and a manifest as publishing leaves it, without
the episodes' recordings (an old show's situation: they are no longer on the machine). Then,
side by side in one run, it times:

- `showpipe feeds`, cold: no feed stored and no `.showpipe/` yet, so everything is loaded,
  validated, built, read back with podcastparser, GUID-guarded and written;
- the baseline: a script that reads the same YAML (libyaml) and manifest, renders the same
  Markdown, builds the same elements with plain lxml and serialises them (and checks
  nothing); the element counts of both outputs are compared, so they build the same thing;
- the feeds alone, cold, as the baseline builds them: `showpipe feeds --dry-run --output DIR`
  with no `.showpipe/`, which loads, validates, builds, reads back and GUID-guards the feeds
  and writes them into DIR (byte for byte what cron stores), without the pages. The cold
  ratio is this one's: since the web pages (#16) joined cron's run, a cold `feeds` also
  renders some 15,000 pages, which `bench_site` measures against its own baseline;
- `showpipe feeds` again with nothing changed;
- (untimed) `showpipe check`, as a podcaster runs before publishing: cron's runs do not lint,
  so this is the run that lints every item once, as `publish` and `check` then need not;
- `showpipe publish` of one new episode whose tagged copy is already in the build cache
  (`showpipe tag` made it just before, timed apart), so its own tagging is not counted;
- the first `showpipe feeds` after that publish;
- `showpipe feeds` after one episode file changed;
- `showpipe check`;
- `showpipe feeds` after one feed's YAML changed (the show feed's description): every item
  of that feed is made under new settings, the other feed's are not.

Each figure is the best of SHOWPIPE_BENCH_REPEAT runs (default 3) of a fresh process; the
targeted figures of every round follow, since the machine's speed moves between rounds.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree
from processes import adopt_orphans, compile_showpipe, reap_orphans

from showpipe.model.manifest import (
    MANIFEST_KEY,
    EpisodeRecord,
    FeedRecord,
    Manifest,
    StoredFile,
    encode_manifest,
)

REPO = Path(__file__).resolve().parent.parent
# The baseline lists what is due at NOW. showpipe runs on the real clock (with --now it only
# previews), so every episode, the new ones too, is dated in the past.
NOW = "2030-01-01T00:00:00"
FIRST = datetime(2020, 1, 1, tzinfo=UTC)


def _episode_yaml(i: int) -> str:
    lines = [
        f"guid: bench-{i:05d}",
        f'title: "Episode {i}: on feeds, GUIDs & other things"',
        f"published: {(FIRST + timedelta(hours=6 * i)).isoformat()}",
        "summary: Ada and Grace answer listeners' questions about feeds.",
        "description: |",
        f"  In episode {i} we talk about **feeds**, [GUIDs](https://example.com/guids) and:",
        "",
        "  - why enclosures need exact lengths",
        "  - what podcast:guid is for",
        f"season: {1 + i // 100}",
        f"episode: {i + 1}",
        "audio: media/ep.mp3",
    ]
    if i % 5 == 0:
        lines.append("video: media/ep.mp4")
    if i % 3 == 0:
        lines += ["guests:", "  - name: Margaret Hamilton", "    role: guest"]
    if i % 2 == 0:
        lines += [
            "chapters:",
            '  - {start: "0:00", title: Hello}',
            '  - {start: "5:00", title: Main}',
        ]
    if i % 4 == 0:
        lines.append("transcripts: [media/ep.vtt]")
    return "\n".join(lines) + "\n"


def _stored(
    name: str, size: int, kind: str, duration: float | None = None, **pixels: int
) -> StoredFile:
    """A published file `folder/slug.ext` as the manifest records it, under its
    content-addressed key `folder/slug-<hash>.ext`."""
    digest = hashlib.md5(name.encode()).hexdigest()  # the manifest's 32 hex digits
    stem, _, suffix = name.rpartition(".")
    key = f"{stem}-{digest[:12]}.{suffix}"
    sri = f"sha384-{hashlib.sha384(name.encode()).hexdigest()[:64]}"
    return StoredFile(key, size, digest, kind, duration=duration, sri=sri, **pixels)


def _store_objects(public: Path, manifest: Manifest) -> None:
    """The objects the manifest names, as sparse files of their sizes: feeds are built only
    from what the storage holds (publishing/guard.py), and no byte of them is read."""
    for key, file in manifest.stored_keys().items():
        path = public / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.truncate(file.size)


def make_show(root: Path, count: int) -> None:
    """A project of `count` published episodes and its storage's manifest, without media."""
    # The feed artwork stays: publishing needs it (cron uses the manifest's record of it).
    shutil.copytree(REPO / "feeds", root / "feeds")
    (root / "showpipe.toml").write_text(
        'storage = "public"\npublic_url = "https://cdn.example.com/"\n'
    )
    (root / "episodes").mkdir()
    episodes = {}
    for i in range(count):
        (root / "episodes" / f"ep{i:05d}.yaml").write_text(_episode_yaml(i))
        slug = f"ep{i:05d}"
        media = {"audio": _stored(f"media/{slug}-a.mp3", 30_000_000 + i, "audio/mpeg", 1800.5)}
        if i % 5 == 0:
            media["video"] = _stored(
                f"media/{slug}-v.mp4", 300_000_000 + i, "video/mp4", 1800.5, width=1920, height=1080
            )
        transcripts = [_stored(f"transcripts/{slug}.vtt", 2000, "text/vtt")] if i % 4 == 0 else []
        chapters = _stored(f"chapters/{slug}.json", 300, "application/json+chapters")
        episodes[f"bench-{i:05d}"] = EpisodeRecord(
            slug, media, transcripts=transcripts, chapters=chapters if i % 2 == 0 else None
        )
    feeds = {
        name: FeedRecord(_stored(f"art/{name}.jpg", 150_000, "image/jpeg"))
        for name in ("show", "videos")
    }
    manifest = Manifest(episodes=episodes, feeds=feeds)
    path = root / "public" / MANIFEST_KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(encode_manifest(manifest))
    _store_objects(root / "public", manifest)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(command: list[str], root: Path) -> tuple[tuple[float, float], str]:
    """(wall-clock seconds, CPU seconds of the process and its children), and what it printed.

    The CPU time is shown beside the wall-clock time: on a busy machine it says how much
    of a figure is showpipe's own work. It counts the workers on the other cores too: their
    fork server is adopted (`adopt_orphans`) and reaped here.
    """
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    reap_orphans()  # its fork server and workers, adopted: their CPU time counts too
    elapsed = (wall, _cpu() - cpu)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def _element_counts(xml: bytes) -> Counter[str]:
    return Counter(str(e.tag) for e in etree.fromstring(xml).iter())


def _same_elements(root: Path) -> bool:
    return all(
        _element_counts((root / "public" / "feeds" / f"{n}.xml").read_bytes())
        == _element_counts((root / "baseline" / f"{n}.xml").read_bytes())
        for n in ("show", "videos")
    )


def _new_episode(root: Path, n: int, count: int) -> Path:
    """A new episode, due now and after every other, with its own recording."""
    media = root / "episodes" / "media" / f"new{n}.mp3"
    media.parent.mkdir(exist_ok=True)
    shutil.copy(REPO / "episodes" / "media" / "pilot.mp3", media)
    path = root / "episodes" / f"new{n}.yaml"
    published = FIRST + timedelta(hours=6 * count + n)
    assert published < datetime.now(UTC), "too many episodes: the new one would be scheduled"
    path.write_text(
        f"guid: bench-new-{n}\ntitle: New episode {n}\npublished: {published.isoformat()}\n"
        f"summary: Something new.\ndescription: Brand **new**.\nseason: 99\nepisode: {9000 + n}\n"
        f"audio: media/new{n}.mp3\n"
    )
    return path


def _one_round(
    root: Path, n: int, count: int, showpipe: list[str], baseline: list[str]
) -> dict[str, tuple[float, float]]:
    """Every figure once, in the order a show lives them."""
    figures = {}
    shutil.rmtree(root / "public" / "feeds", ignore_errors=True)
    # The feeds alone, as cold: what the baseline does (cron's run also writes the pages).
    shutil.rmtree(root / ".showpipe", ignore_errors=True)
    build = [*showpipe, "feeds", "--dry-run", "--output", str(root / "built")]
    figures["cold build"] = _timed(build, root)[0]
    shutil.rmtree(root / ".showpipe")
    figures["cold"] = _timed([*showpipe, "feeds"], root)[0]
    for name in ("show", "videos"):
        written = (root / "built" / "feeds" / f"{name}.xml").read_bytes()
        assert written == (root / "public" / "feeds" / f"{name}.xml").read_bytes()
    figures["baseline"] = _timed(baseline, root)[0]
    assert _same_elements(root), "showpipe and the baseline built different elements"
    elapsed, printed = _timed([*showpipe, "feeds"], root)
    assert printed == "", f"a no-change run printed {printed!r}"
    figures["quiet"] = elapsed
    # A podcaster checks before publishing; cron's runs never lint, so this is the run that
    # lints the whole show once. Untimed: `check` is timed below, incremental like the rest.
    _timed([*showpipe, "check"], root)
    episode = str(_new_episode(root, n, count).relative_to(root))
    figures["tag"] = _timed([*showpipe, "tag", episode], root)[0]
    figures["publish"] = _timed([*showpipe, "publish", episode], root)[0]
    figures["after publish"] = _timed([*showpipe, "feeds"], root)[0]
    path = root / "episodes" / "ep00007.yaml"
    path.write_text(path.read_text().replace("answer", "take"))
    elapsed, printed = _timed([*showpipe, "feeds"], root)
    assert "+0 -0 items" in printed, f"an edit should update one item: {printed!r}"
    figures["edited"] = elapsed
    path.write_text(path.read_text().replace("take", "answer"))
    figures["check"] = _timed([*showpipe, "check"], root)[0]
    figures["feed edited"] = _time_feed_edit(root, showpipe)
    return figures


def _time_feed_edit(root: Path, showpipe: list[str]) -> tuple[float, float]:
    """`showpipe feeds` after the show feed's description changed. It is changed back and the
    feeds and pages built again, untimed: the next round's cold run then finds its 15,000
    pages as the show has them, as in every round, and does not rewrite them all."""
    path = root / "feeds" / "show.yaml"
    before = path.read_text()
    path.write_text(before.replace("Ada and Grace talk", "Ada and Grace chat"))
    elapsed, printed = _timed([*showpipe, "feeds"], root)
    assert "updated" in printed and "show.xml" in printed, f"no show feed: {printed!r}"
    path.write_text(before)
    _timed([*showpipe, "feeds"], root)
    return elapsed


def main() -> None:
    compile_showpipe()
    adopt_orphans()
    count = int(os.environ.get("SHOWPIPE_BENCH_EPISODES", "5000"))
    repeat = int(os.environ.get("SHOWPIPE_BENCH_REPEAT", "3"))
    showpipe = [str(Path(sys.executable).with_name("showpipe"))]
    baseline = [sys.executable, str(Path(__file__).with_name("baseline_lxml_feeds.py")), NOW]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_show(root, count)
        rounds = [_one_round(root, n, count, showpipe, baseline) for n in range(repeat)]
    best = {name: min(r[name] for r in rounds) for name in rounds[0]}
    ratio = best["cold build"][0] / best["baseline"][0]
    print(f"episodes: {count} (two feeds), recordings absent, best of {repeat}")
    # This machine's speed moves from run to run; a figure against the baseline of the same
    # run moves less (the targets themselves are in seconds).
    print("                                         wall-clock      CPU   of baseline")
    for name, label, target in (
        ("cold", "showpipe feeds, cold, with every page", "pages: see bench_site"),
        ("cold build", "the feeds alone, cold (--dry-run)", ""),
        ("baseline", "plain-lxml baseline, same elements", ""),
        ("quiet", "showpipe feeds, nothing changed", "target < 1.0"),
        ("tag", "showpipe tag, the new episode", "not counted below"),
        ("publish", "showpipe publish, one new episode", "target <= 1.0"),
        ("after publish", "showpipe feeds, first after publish", "target < 1.0"),
        ("edited", "showpipe feeds, one episode edited", "target < 1.0"),
        ("check", "showpipe check", "target < 1.0"),
        ("feed edited", "showpipe feeds, one feed's YAML edited", ""),
    ):
        wall, cpu = best[name]
        share = wall / best["baseline"][0]
        print(f"{label + ':':40} {wall:7.2f} s  {cpu:7.2f} s  {share:6.2f}   {target}")
    label = "ratio feeds alone / baseline, cold:"
    print(f"{label:40} {ratio:7.2f} x {'target <= 1.5':>33}")
    _print_each_round(rounds)


def _print_each_round(rounds: list[dict[str, tuple[float, float]]]) -> None:
    """The targeted figures of every round, wall-clock: how far the machine's own speed
    moved them within this run (the best of each, above, may come from different rounds)."""
    print("each round, wall-clock:")
    for name in ("cold build", "baseline", "quiet", "publish", "after publish", "edited", "check"):
        print(f"  {name + ':':16}" + "".join(f"{r[name][0]:8.2f} s" for r in rounds))
    ratios = [r["cold build"][0] / r["baseline"][0] for r in rounds]
    print(f"  {'cold ratio:':16}" + "".join(f"{x:8.2f} x" for x in ratios))


if __name__ == "__main__":
    main()
