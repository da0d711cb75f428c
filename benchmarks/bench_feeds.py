"""`showpipe feeds` on a show of many published episodes, against a plain-lxml baseline.

Makes a project of SHOWPIPE_BENCH_EPISODES episodes (default 5,000; use a few hundred while
developing) with the sample show's two feeds and a manifest as publishing leaves it, without
media files (cron's situation). Then, side by side in one run, it times:

- `showpipe feeds`, cold: no feed stored yet, so everything is loaded, validated, built,
  read back with podcastparser, GUID-guarded and written;
- the baseline: a script that reads the same YAML (libyaml) and manifest, renders the same
  Markdown, builds the same elements with plain lxml and serialises them (and checks
  nothing); the element counts of both outputs are compared, so they build the same thing;
- `showpipe feeds` again with nothing changed (target: under a second);
- `showpipe feeds` after one episode file changed (a full rebuild that rewrites one item).

Each figure is the best of SHOWPIPE_BENCH_REPEAT runs (default 3) of a fresh process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from showpipe.model.manifest import (
    MANIFEST_KEY,
    EpisodeRecord,
    FeedRecord,
    Manifest,
    StoredFile,
    encode_manifest,
)

REPO = Path(__file__).resolve().parent.parent
NOW = "2030-01-01T00:00:00"


def _episode_yaml(i: int) -> str:
    lines = [
        f"guid: bench-{i:05d}",
        f'title: "Episode {i}: on feeds, GUIDs & other things"',
        f"published: {(datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=6 * i)).isoformat()}",
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
    shutil.copytree(REPO / "feeds", root / "feeds", ignore=shutil.ignore_patterns("artwork"))
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


def _timed(command: list[str], root: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def _element_counts(xml: bytes) -> Counter[str]:
    return Counter(str(e.tag) for e in etree.fromstring(xml).iter())


def main() -> None:
    count = int(os.environ.get("SHOWPIPE_BENCH_EPISODES", "5000"))
    repeat = int(os.environ.get("SHOWPIPE_BENCH_REPEAT", "3"))
    showpipe = [str(Path(sys.executable).with_name("showpipe")), "feeds", "--now", NOW]
    baseline = [sys.executable, str(Path(__file__).with_name("baseline_lxml_feeds.py")), NOW]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_show(root, count)
        cold, base, quiet, touched = [], [], [], []
        for _ in range(repeat):
            shutil.rmtree(root / "public" / "feeds", ignore_errors=True)
            shutil.rmtree(root / ".showpipe", ignore_errors=True)
            cold.append(_timed(showpipe, root)[0])
            base.append(_timed(baseline, root)[0])
            elapsed, printed = _timed(showpipe, root)
            assert printed == "", f"a no-change run printed {printed!r}"
            quiet.append(elapsed)
            path = root / "episodes" / "ep00007.yaml"
            path.write_text(path.read_text().replace("answer", "take"))
            touched.append(_timed(showpipe, root)[0])
            path.write_text(path.read_text().replace("take", "answer"))
        same = all(
            _element_counts((root / "public" / "feeds" / f"{n}.xml").read_bytes())
            == _element_counts((root / "baseline" / f"{n}.xml").read_bytes())
            for n in ("show", "videos")
        )
    ratio = min(cold) / min(base)
    print(f"episodes: {count} (two feeds), best of {repeat}")
    print(f"showpipe feeds, cold full build:        {min(cold):7.2f} s")
    print(f"plain-lxml baseline, same elements:     {min(base):7.2f} s   (same elements: {same})")
    print(f"ratio showpipe / baseline:              {ratio:7.2f} x   (target <= 2.0)")
    print(f"showpipe feeds, nothing changed:        {min(quiet):7.2f} s   (target < 1.0)")
    print(f"showpipe feeds, one episode edited:     {min(touched):7.2f} s")


if __name__ == "__main__":
    main()
