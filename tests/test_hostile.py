"""Hostile input, against the real S3 server: one clear `file:line` error, exit 1, nothing
uploaded or changed. And credentials that never leak into output, logs, feeds or objects."""

from __future__ import annotations

import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
import requests
from click.testing import Result
from peakmemory import peak_rss_mb, with_mp3_cover, with_mp4_cover

from faultproxy import FaultProxy
from s3server import S3Server
from showpipe.model.manifest import SAFE_KEY, EpisodeRecord, Manifest, StoredFile, manifest_problems
from showpipe.publishing.assets import object_key

Run = Callable[..., Result]
HEAD = (
    "guid: guid-bad\npublished: 2026-11-10T10:00:00+00:00\nsummary: A summary.\n"
    "description: A description.\n"
)
VALID = HEAD + "title: Bad\naudio: media/pilot.mp3\n"


def _bomb() -> str:
    """Billion laughs: 9^8 strings if the aliases were expanded."""
    lines = ["keywords:", "  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)]
    return VALID + "\n".join(lines) + "\n"


def _media(project: Path, name: str, data: bytes) -> str:
    (project / "episodes" / "media" / name).write_bytes(data)
    return VALID.replace("media/pilot.mp3", f"media/{name}")


def _alternate(project: Path, name: str, data: bytes) -> str:
    (project / "episodes" / "media" / name).write_bytes(data)
    return VALID + f"alternates:\n  - media/{name}\n"


def _symlink(project: Path) -> str:
    (project / "episodes" / "media" / "link.mp3").symlink_to(project.parent / "outside.mp3")
    (project.parent / "outside.mp3").write_bytes(
        (project / "episodes" / "media" / "pilot.mp3").read_bytes()
    )
    return VALID.replace("media/pilot.mp3", "media/link.mp3")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def _bomb_png(project: Path) -> str:
    """A 100-byte PNG whose header claims 60000x60000 pixels (a "decompression bomb")."""
    size = (60000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    chunks = [(b"IHDR", size), (b"IDAT", zlib.compress(b"")), (b"IEND", b"")]
    png = b"\x89PNG\r\n\x1a\n" + b"".join(_png_chunk(*c) for c in chunks)
    (project / "episodes" / "media" / "bomb.png").write_bytes(png)
    return VALID + "artwork: media/bomb.png\n"


def _chapters(count: int) -> str:
    return "chapters:\n" + "".join(f"  - start: {i}\n    title: c{i}\n" for i in range(count))


def _pilot(project: Path) -> bytes:
    return (project / "episodes" / "media" / "pilot.mp3").read_bytes()


# (id, YAML text or a function of the project writing files and returning it, message)
HOSTILE: list[tuple[str, str | Callable[[Path], str | bytes], str]] = [
    ("syntax", HEAD + "title: [unclosed\naudio: media/pilot.mp3\n", r"bad\.yaml:5: invalid YAML"),
    ("alias-bomb", _bomb(), r"bad\.yaml:8: keywords\[0\]: Input should be a valid string"),
    ("wrong-type", VALID + "season: many\n", r"bad\.yaml:7: season: 'many' is not a whole"),
    ("unknown-key", VALID + "colour: red\n", r"bad\.yaml:7: colour: unknown key"),
    ("huge-title", HEAD + f"title: {'x' * 5000}\naudio: a.mp3\n", r"bad\.yaml:5: title: .*255"),
    ("huge-file", VALID + f"# {'x' * 1_100_000}\n", r"bad\.yaml:1: file is larger than"),
    ("control-char", HEAD + 'title: "bell\\a"\naudio: a.mp3\n', r"bad\.yaml:5: title: .*U\+0007"),
    ("escape-code", VALID.replace("A summary.", '"\\e[2J"'), r"bad\.yaml:3: summary: .*U\+001B"),
    ("dot-dot", VALID.replace("media/pilot", "../../../../etc/passwd#"), r"bad\.yaml:6: audio: .*outside the project"),  # noqa: E501
    ("absolute", VALID.replace("media/pilot.mp3", "/etc/passwd"), r"bad\.yaml:6: audio: .*outside the project"),  # noqa: E501
    ("symlink-out", _symlink, r"bad\.yaml:6: .*link\.mp3: a link to a file outside the project \(in bad\.yaml\)"),  # noqa: E501
    ("missing", VALID.replace("pilot", "gone"), r"bad\.yaml:6: .*gone\.mp3: file not found \(named in bad\.yaml\)"),  # noqa: E501
    ("empty", lambda p: _media(p, "empty.mp3", b""), r"empty\.mp3: file is empty"),
    ("truncated", lambda p: _media(p, "cut.mp3", _pilot(p)[:30000]), r"cut\.mp3: file is truncated"),  # noqa: E501
    ("mislabelled", lambda p: _media(p, "pic.mp3", (p / "feeds/artwork/show.jpg").read_bytes()), r"pic\.mp3: not a valid MP3"),  # noqa: E501
    ("bad-alternate", lambda p: _alternate(p, "text.opus", b"not audio"), r"bad\.yaml:8: alternates\[0\]: .*text\.opus: not a valid OPUS"),  # noqa: E501
    ("not-utf8", lambda p: VALID.encode().replace(b"Bad", b"Caf\xe9"), r"bad\.yaml:5: file is not valid UTF-8"),  # noqa: E501
    ("duplicate-guid", VALID.replace("guid-bad", "5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"), r"bad\.yaml:1: guid: .* also the GUID of on-tools\.yaml"),  # noqa: E501
    # control characters in every text field, not only titles (issue 15, item 6)
    ("soundbite-escape", VALID + 'soundbites:\n  - start: 1\n    duration: 15\n    title: "x\\e[2J"\n', r"bad\.yaml:10: soundbites\[0\]\.title: .*U\+001B"),  # noqa: E501
    ("guest-c1", VALID + 'guests:\n  - name: "Bob\\x9b31m"\n', r"bad\.yaml:8: guests\[0\]\.name: .*U\+009B"),  # noqa: E501
    ("keyword-nul", VALID + 'keywords: [ok, "a\\0b"]\n', r"bad\.yaml:7: keywords: .*U\+0000 .*\(\[1\]\)"),  # noqa: E501
    ("guid-noncharacter", VALID.replace("guid: guid-bad", 'guid: "guid-bad\\uFFFF"'), r"bad\.yaml:1: guid: .*U\+FFFF, which XML cannot carry"),  # noqa: E501
    ("title-surrogate", HEAD + 'title: "half \\ud800"\naudio: media/pilot.mp3\n', r"bad\.yaml:5: title: holds half of a \\u escape pair \(a lone surrogate\)"),  # noqa: E501
    ("path-escape", VALID.replace("media/pilot.mp3", '"media/\\e[2J.mp3"'), r"bad\.yaml:6: audio: .*U\+001B"),  # noqa: E501
    # crashes that became file:line errors, and bounds (item 7)
    ("deep-nesting", VALID + "keywords: " + "[" * 250 + "]" * 250 + "\n", r"bad\.yaml:1: invalid YAML: nested too deeply"),  # noqa: E501
    ("huge-season", VALID + f"season: {10**30}\n", r"bad\.yaml:7: season: '\d+' is more than 65535"),  # noqa: E501
    ("huge-episode", VALID + "episode: 65536\n", r"bad\.yaml:7: episode: '65536' is more than 65535"),  # noqa: E501
    ("256-chapters", VALID + _chapters(256), r"bad\.yaml:7: chapters: .*at most 255"),
    ("infinite-time", VALID + "chapters:\n  - start: .inf\n    title: x\n", r"bad\.yaml:8: chapters\[0\]\.start: 'inf' is more than"),  # noqa: E501
    ("image-bomb", _bomb_png, r"bomb\.png: the image claims more pixels"),
    # transcripts only of the documented types (item 9)
    ("svg-transcript", VALID + "transcripts: [media/x.svg]\n", r"bad\.yaml:7: transcripts\[0\]: 'x\.svg' is not a transcript type"),  # noqa: E501
    ("js-transcript", VALID + "transcripts: [media/x.js]\n", r"bad\.yaml:7: transcripts\[0\]: 'x\.js' is not a transcript type"),  # noqa: E501
    ("html-transcript", VALID + "transcripts: [media/x.html]\n", r"bad\.yaml:7: transcripts\[0\]: 'x\.html' is not"),  # noqa: E501
    ("remote-js", VALID + "remote_transcripts: [{url: 'https://x.example/t.js', type: text/javascript}]\n", r"bad\.yaml:7: remote_transcripts\[0\]\.type: 'text/javascript' is not one of"),  # noqa: E501
    # a file too big for its kind, read by nothing (item 3)
    ("huge-transcript", lambda p: _sized(p, "big.vtt", 20_000_001) + "transcripts: [media/big.vtt]\n", r"bad\.yaml:7: .*big\.vtt: file is larger than 20000000 bytes"),  # noqa: E501
]  # fmt: skip


def _sized(project: Path, name: str, size: int) -> str:
    with (project / "episodes" / "media" / name).open("wb") as f:
        f.truncate(size)  # sparse: no disk used
    return VALID


@pytest.mark.parametrize(("text", "message"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_one_clear_error_and_changes_nothing(
    text: str | Callable[[Path], str | bytes],
    message: str,
    run: Run,
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    content = text(project) if callable(text) else text
    path = project / "episodes" / "bad.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run("publish", "episodes/bad.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    assert re.search(message, result.stderr), result.stderr
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before  # no GUID written, nothing tagged, no original touched


def test_two_episodes_on_one_object_key_are_refused(
    run: Run, project: Path, s3_env: str, s3_server: S3Server, s3_bucket: str
) -> None:
    # "Ep_1" and "ep-1" slugify alike; the same artwork then maps to the same key.
    for name, guid in (("Ep_1", "guid-a"), ("ep-1", "guid-b")):
        text = VALID.replace("guid-bad", guid) + "artwork: media/on-tools.jpg\n"
        (project / "episodes" / f"{name}.yaml").write_text(text.replace("Bad", name))
    result = run("publish", "episodes/Ep_1.yaml", "episodes/ep-1.yaml")
    assert result.exit_code == 1
    assert "Error: " in result.stderr and "ep-1.yaml" in result.stderr
    assert "Ep_1.yaml" in result.stderr and "both become 'ep-1' in URLs" in result.stderr
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []


@pytest.mark.parametrize(
    ("slug", "suffix", "expected"),
    [
        ("../../etc/passwd", ".mp3", "media/etc-passwd-0123456789ab.mp3"),
        ("/absolute", ".MP3", "media/absolute-0123456789ab.mp3"),
        ("Ünïcödé Épisode", ".m4a", "media/unicode-episode-0123456789ab.m4a"),
        ("ｆｕｌｌｗｉｄｔｈ", ".mp3", "media/fullwidth-0123456789ab.mp3"),
        ("a b?c#d%2e&e", ".mp3?x=1", "media/a-b-c-d-2e-e-0123456789ab.mp3x1"),
        ("..", ".", "media/episode-0123456789ab"),
        ("<script>", ".mp3", "media/script-0123456789ab.mp3"),
    ],
)
def test_object_keys_are_safe_whatever_the_names(slug: str, suffix: str, expected: str) -> None:
    key = object_key("media", slug, "0123456789abcdef", suffix)
    assert key == expected
    assert SAFE_KEY.fullmatch(key) and ".." not in key and not key.startswith("/")


def test_markup_in_titles_and_descriptions_is_text_in_the_feed(
    run: Run, project: Path, s3_env: str
) -> None:
    title = "</title><script>alert(1)</script>&amp; ]]> Tom & Jerry"
    text = VALID.replace("title: Bad", f"title: '{title}'").replace(
        "description: A description.",
        "description: '<img src=x onerror=alert(1)><script>alert(2)</script>**bold**'",
    )
    (project / "episodes" / "bad.yaml").write_text(text)
    assert run("publish", "episodes/bad.yaml").exit_code == 0
    xml = requests.get(f"{s3_env}feeds/show.xml", timeout=10).content
    # only as escaped text (&lt;script&gt;), never as markup an app would run
    assert b"<script" not in xml and b"<img" not in xml
    parsed = podcastparser.parse("feed", io.BytesIO(xml))
    item = next(e for e in parsed["episodes"] if e["guid"] == "guid-bad")
    assert item["title"] == title  # the very characters, as text
    assert (
        "<b>bold</b>" in item["description_html"]
        or "<strong>bold</strong>" in item["description_html"]
    )


# Recognisable fake credentials: if any of these bytes show up anywhere, they leaked.
FAKE_KEY_ID = "AKIASHOWPIPEFAKE7Q2X"
FAKE_SECRET = "showpipeFakeSecret/DoNotLeak+9f8e7d6c5b4a"
FAKE_TOKEN = "showpipeFakeSessionToken0123456789zyxw"


def test_credentials_appear_in_no_output_log_feed_file_or_object(
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
    strict_s3_server: S3Server,
    fault_proxy: FaultProxy,
) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_SESSION_TOKEN": FAKE_TOKEN,
        "AWS_ENDPOINT_URL_S3": fault_proxy.endpoint,
    }
    fault_proxy.add("PUT", r"/show/media/", "500", times=1)  # a retry, logged with -v
    commands = [
        ("-v", "publish", "episodes/pilot.yaml", "episodes/on-tools.yaml"),
        ("-v", "feeds"),
        ("-v", "unpublish", "episodes/pilot.yaml"),
        ("-v", "storage", "gc"),
        ("-v", "doctor"),
        ("-v", "verify"),
    ]
    seen, codes = [], []
    for args in commands:
        done = subprocess.run(
            [sys.executable, "-m", "showpipe", *args],
            cwd=project, env=env, capture_output=True, timeout=120,
        )  # fmt: skip
        seen.append(done.stdout + done.stderr)
        codes.append(done.returncode)
    # each ran to its end: doctor fails only on the bucket's CORS rules, never set here
    assert codes == [0, 0, 0, 0, 1, 0]
    assert b"FAIL" in seen[4] and seen[4].count(b"FAIL") == 1 and b"cors" in seen[4]
    assert b"Published 2 episode(s)" in seen[0] and b"Unpublished" in seen[2]
    # a refused request: the error path must not echo the keys either
    denied = subprocess.run(
        [sys.executable, "-m", "showpipe", "-v", "publish", "episodes/listener-mail.yaml"],
        cwd=project, env={**env, "AWS_ENDPOINT_URL_S3": strict_s3_server.endpoint},
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert denied.returncode == 1 and b"access denied" in denied.stderr
    seen.append(denied.stdout + denied.stderr)
    client = s3_server.client()
    listed = client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    for obj in listed:
        seen.append(client.get_object(Bucket=s3_bucket, Key=obj["Key"])["Body"].read())
        seen.append(repr(client.head_object(Bucket=s3_bucket, Key=obj["Key"])).encode())
    assert any(o["Key"].endswith("feeds/show.xml") for o in listed)
    seen += [p.read_bytes() for p in project.rglob("*") if p.is_file()]
    for secret in (FAKE_KEY_ID, FAKE_SECRET, FAKE_TOKEN):
        for blob in seen:
            assert secret.encode() not in blob


def _set_audio(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        record = next(iter(manifest["episodes"].values()))
        record["media"]["audio"] = {**record["media"]["audio"], **fields}

    return change


def _set_record(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        next(iter(manifest["episodes"].values())).update(fields)

    return change


def _replace(new: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        manifest.clear()
        manifest.update(new)

    return change


def _newer(manifest: dict[str, Any]) -> None:
    manifest.update(version=99, playlists={"best": ["guid"]})


AUDIO = r"episodes\.[0-9a-f-]+\.media\.audio"
# (id, a change to the stored manifest, the command, the message it must give)
HOSTILE_MANIFESTS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("missing-object", _set_audio(key="media/pilot-0123456789ab.mp3"), "feeds", rf"{AUDIO} \(episodes/pilot\.yaml\)\.key: media/pilot-0123456789ab\.mp3 is missing in the storage.*publish that episode again"),  # noqa: E501
    ("missing-object-site", _set_audio(key="media/pilot-0123456789ab.mp3"), "site", rf"{AUDIO} \(episodes/pilot\.yaml\)\.key: media/pilot-0123456789ab\.mp3 is missing"),  # noqa: E501
    ("dot-dot-key", _set_audio(key="../../x.mp3"), "feeds", rf"{AUDIO}\.key: '\.\./\.\./x\.mp3' is not an object key showpipe writes"),  # noqa: E501
    ("protocol-relative-key", _set_audio(key="//evil.example/x.mp3"), "feeds", rf"{AUDIO}\.key: '//evil\.example/x\.mp3' is not an object key"),  # noqa: E501
    ("protocol-relative-url", _set_audio(key="", url="//evil.example/x.mp3"), "site", rf"{AUDIO}\.url: '//evil\.example/x\.mp3' is not an absolute http\(s\) URL"),  # noqa: E501
    ("script-url", _set_audio(key="", url="javascript:alert(1)"), "feeds", rf"{AUDIO}\.url: 'javascript:alert\(1\)' is not"),  # noqa: E501
    ("negative-size", _set_audio(size=-5), "feeds", rf"{AUDIO}\.size: -5 is not a positive number of bytes"),  # noqa: E501
    ("slug-dot-dot", _set_record(slug="../index"), "site", r"episodes\.[0-9a-f-]+\.slug: '\.\./index' is not a slug showpipe writes"),  # noqa: E501
    ("empty", _replace({}), "site", r"manifest\.json: no version and no episodes; the manifest is damaged"),  # noqa: E501
    ("newer-version", _newer, "feeds", r"version 99 is not one this showpipe knows \(1, 2\).*upgrade showpipe"),  # noqa: E501
    ("unknown-field", _set_audio(colour="red"), "feeds", rf"{AUDIO}\.colour: Unexpected keyword argument"),  # noqa: E501
]  # fmt: skip


def test_every_file_of_a_record_is_listed_and_named_by_its_place() -> None:
    """`files()` lists each file a record holds, and a message names where each one sits (a
    damaged transcript's entry as `transcripts.1`, not as the record's first file)."""

    def stored(name: str, size: int = 10) -> StoredFile:
        return StoredFile(f"media/{name}-0123456789ab.mp3", size, "", "audio/mpeg")

    record = EpisodeRecord(
        slug="pilot",
        media={"audio": stored("a"), "video": stored("v")},
        artwork=stored("art"),
        transcripts=[stored("t0"), stored("t1", size=0)],
        chapter_images=[stored("c0")],
        chapters=stored("ch"),
        alternates=[stored("alt")],
        poster=stored("p"),
    )
    assert sorted(record.where(f) for f in record.files()) == sorted(
        ["media.audio", "media.video", "artwork", "chapters", "poster", "transcripts.0"]
        + ["transcripts.1", "chapter_images.0", "alternates.0"]
    )
    assert manifest_problems(Manifest(episodes={"g": record})) == [
        "episodes.g.transcripts.1.size: 0 is not a positive number of bytes"
    ]
    with pytest.raises(ValueError):
        record.where(stored("a"))  # an equal file, but not one of the record's


@pytest.mark.parametrize(
    ("change", "command", "message"),
    [h[1:] for h in HOSTILE_MANIFESTS],
    ids=[h[0] for h in HOSTILE_MANIFESTS],
)
def test_a_tampered_manifest_is_one_clear_error_and_nothing_is_published(
    change: Callable[[dict[str, Any]], None], command: str, message: str, run: Run, project: Path
) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    public = project / "public"
    path = public / "showpipe" / "manifest.json"
    manifest = json.loads(path.read_bytes())
    change(manifest)
    path.write_text(json.dumps(manifest))
    before = {p: p.read_bytes() for p in public.rglob("*") if p.is_file()}
    result = run(command)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
    assert re.search(message, result.stderr), result.stderr
    assert {p: p.read_bytes() for p in public.rglob("*") if p.is_file()} == before


def test_a_missing_object_named_in_text_before_is_still_refused(run: Run, project: Path) -> None:
    """Only URLs count as naming an object: a published description that mentions the key
    as text does not spare it the storage check."""
    missing = "media/pilot-0123456789ab.mp3"
    episode = project / "episodes" / "pilot.yaml"
    text = episode.read_text().replace(
        "description: |\n", f"description: |\n  See social {missing} here\n"
    )
    episode.write_text(text)
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    assert missing.encode() in (project / "public" / "feeds" / "show.xml").read_bytes()
    path = project / "public" / "showpipe" / "manifest.json"
    manifest = json.loads(path.read_bytes())
    _set_audio(key=missing)(manifest)
    path.write_text(json.dumps(manifest))
    result = run("feeds")
    assert result.exit_code == 1, result.output
    assert f"{missing} is missing in the storage" in result.stderr


# --- source files, paths and fields no input may turn into harm (issue 15, items 3-10) ------

MB = 1 << 20


@pytest.mark.parametrize("command", ["publish", "check"])
@pytest.mark.parametrize(
    ("medium", "source", "add_cover"),
    [("audio", "pilot.mp3", with_mp3_cover), ("video", "on-tools.mp4", with_mp4_cover)],
    ids=["mp3-apic", "mp4-covr"],
)
def test_a_huge_cover_in_the_source_costs_no_memory(
    command: str, medium: str, source: str, add_cover: Callable[..., None], project: Path
) -> None:
    # The source's tags are replaced, so a 48 MB cover must not be read (it was, 4x over).
    media = project / "episodes" / "media"
    suffix = Path(source).suffix
    add_cover(media / source, media / f"small{suffix}", 1)
    add_cover(media / source, media / f"big{suffix}", 48 * MB)
    peaks = []
    for name in ("small", "big"):
        text = VALID.replace("guid-bad", f"guid-{name}").replace("audio: media/pilot.mp3", "")
        (project / "episodes" / f"{name}.yaml").write_text(
            f"{text}{medium}: media/{name}{suffix}\n"
        )
        args = ("publish", f"episodes/{name}.yaml") if command == "publish" else ("check",)
        peaks.append(peak_rss_mb(project, *args))
    assert peaks[1] < peaks[0] + 16, peaks


@contextmanager
def _no_hang(seconds: int = 30) -> Iterator[None]:
    """Turn a command that blocks for ever (a FIFO read) into a failure, not a stuck suite."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _outside(project: Path, name: str, data: bytes) -> Path:
    (project.parent / name).write_bytes(data)
    return project.parent / name


def _feed_yaml(change: Callable[[str], str]) -> Callable[[Path], None]:
    def write(project: Path) -> None:
        path = project / "feeds" / "show.yaml"
        path.write_text(change(path.read_text()))

    return write


def _episode(text: str, name: str = "bad") -> Callable[[Path], None]:
    def write(project: Path) -> None:
        (project / "episodes" / f"{name}.yaml").write_text(text)

    return write


def _both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def write(project: Path) -> None:
        for setup in setups:
            setup(project)

    return write


def _replace_link(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


def _renamed_feed(project: Path) -> None:
    (project / "feeds" / "videos.yaml").rename(project / "feeds" / "Vidéos ?#.yaml")


def _artwork_link(target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def link(project: Path) -> None:
        artwork = project / "feeds" / "artwork" / "show.jpg"
        destination = target(project)
        artwork.unlink()
        artwork.symlink_to(destination)

    return link


def _outside_artwork(project: Path) -> Path:
    return _outside(project, "show.jpg", (REPO_ROOT / "feeds/artwork/show.jpg").read_bytes())


REPO_ROOT = Path(__file__).resolve().parent.parent
NFC, NFD = "caf\u00e9", "cafe\u0301"
# (id, a function making the project hostile, the message every command must give)
PROJECT_WIDE: list[tuple[str, Callable[[Path], None], str]] = [
    # item 3: what a path is, checked before reading, by every command
    ("yaml-fifo", lambda p: os.mkfifo(p / "episodes" / "bad.yaml"), r"bad\.yaml:1: is not a regular file"),  # noqa: E501
    ("yaml-dev-zero", lambda p: (p / "episodes" / "bad.yaml").symlink_to("/dev/zero"), r"bad\.yaml:1: (is not a regular file|a link to a file outside)"),  # noqa: E501
    ("yaml-folder", lambda p: (p / "episodes" / "bad.yaml").mkdir(), r"bad\.yaml:1: is a folder"),
    ("yaml-link-out", lambda p: (p / "episodes" / "bad.yaml").symlink_to(_outside(p, "x.yaml", VALID.encode())), r"bad\.yaml:1: a link to a file outside the project"),  # noqa: E501
    ("config-dev-zero", lambda p: _replace_link(p / "showpipe.toml", Path("/dev/zero")), r"showpipe\.toml: (is not a regular file|a link to a file outside)"),  # noqa: E501
    ("config-fifo", lambda p: ((p / "showpipe.toml").unlink(), os.mkfifo(p / "showpipe.toml")), r"showpipe\.toml: is not a regular file"),  # noqa: E501
    ("config-huge", lambda p: (p / "showpipe.toml").write_text("# x\n" * 300_000), r"showpipe\.toml: file is larger than"),  # noqa: E501
    # item 4: two episodes, one name in URLs
    ("slug-case", _both(_episode(VALID, "Ep_1"), _episode(VALID.replace("guid-bad", "g2"), "ep-1")), r"ep-1\.yaml:1: ep-1\.yaml and Ep_1\.yaml both become 'ep-1' in URLs"),  # noqa: E501
    ("slug-nfc-nfd", _both(_episode(VALID, NFC), _episode(VALID.replace("guid-bad", "g2"), NFD)), r"both become 'cafe' in URLs"),  # noqa: E501
    # item 6: control characters in the feed's fields
    ("season-name-c1", _feed_yaml(lambda t: t.replace("1: Making the show", '1: "Making\\x9b"')), r"show\.yaml:\d+: seasons: .*U\+009B .*\(\[1\]\)"),  # noqa: E501
    ("copyright-escape", _feed_yaml(lambda t: t.replace("copyright: ©", 'copyright: "\\e[31m"  #')), r"show\.yaml:8: copyright: .*U\+001B"),  # noqa: E501
    ("funding-text-c1", _feed_yaml(lambda t: t.replace("text: Support the show", 'text: "Support\\x9bX"')), r"show\.yaml:\d+: funding\[0\]\.text: .*U\+009B"),  # noqa: E501
    # item 7: crashes and bounds, in `check` too
    ("256-chapters", _episode(VALID + _chapters(256)), r"bad\.yaml:7: chapters: .*at most 255"),
    ("deep-nesting", _episode(VALID + "keywords: " + "[" * 250 + "]" * 250), r"bad\.yaml:1: invalid YAML: nested too deeply"),  # noqa: E501
    ("huge-season", _episode(VALID + f"season: {10**30}\n"), r"bad\.yaml:7: season: .* more than 65535"),  # noqa: E501
    # item 10: a feed's file name is its URL
    ("feed-name", _renamed_feed, r"Vidéos \?#\.yaml:1: name: the file name .* cannot be a URL"),
]  # fmt: skip
COMMANDS = [("publish", "episodes/pilot.yaml"), ("feeds",), ("site",), ("check",), ("verify",)]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
@pytest.mark.parametrize(
    ("setup", "message"), [c[1:] for c in PROJECT_WIDE], ids=[c[0] for c in PROJECT_WIDE]
)
def test_every_command_refuses_a_hostile_project_the_same_way(
    setup: Callable[[Path], None], message: str, command: tuple[str, ...], run: Run, project: Path
) -> None:
    _assert_refused(run, project, setup, command, message)


def _assert_refused(
    run: Run, project: Path, setup: Callable[[Path], None], command: tuple[str, ...], message: str
) -> None:
    """Make the project hostile, run the command: one clear error, nothing published."""
    setup(project)
    with _no_hang():
        result = run(*command)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
    assert re.search(message, result.stderr), result.stderr
    # at most the storage's lock and lease (cron's run takes them first), nothing published
    public = project / "public"
    assert not [p for p in public.rglob("*") if p.is_file() and p.parent != public], "published"


EPISODES_AND_FEEDS = [c for c in PROJECT_WIDE if not c[0].startswith("config-")]


@pytest.mark.parametrize(
    ("setup", "message"),
    [c[1:] for c in EPISODES_AND_FEEDS],
    ids=[c[0] for c in EPISODES_AND_FEEDS],
)
def test_storage_gc_reads_no_episode_or_feed_file(
    setup: Callable[[Path], None], message: str, run: Run, project: Path
) -> None:
    setup(project)
    with _no_hang():
        result = run("storage", "gc")
    assert result.exit_code == 0 and "No leftovers." in result.output


@pytest.mark.parametrize("case", [c for c in PROJECT_WIDE if c[0].startswith("config-")])
def test_storage_gc_reads_the_settings_as_every_command_does(
    case: tuple[str, Callable[[Path], None], str], run: Run, project: Path
) -> None:
    _assert_refused(run, project, case[1], ("storage", "gc"), case[2])


@pytest.mark.parametrize("command", [("publish", "episodes/pilot.yaml"), ("feeds",), ("check",)])
@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (_artwork_link(_outside_artwork), r"show\.yaml:\d+: .*show\.jpg: a link to a file outside"),
        (_artwork_link(lambda p: Path("/dev/zero")), r"show\.yaml:\d+: .*show\.jpg: a link to a file outside"),  # noqa: E501
        (_artwork_link(lambda p: _fifo(p / "feeds" / "artwork" / "pipe.jpg")), r"show\.yaml:\d+: .*\.jpg: is not a regular file"),  # noqa: E501
    ],
    ids=["link-out", "dev-zero", "fifo"],
)  # fmt: skip
def test_feed_artwork_is_checked_by_every_command_that_reads_it(
    setup: Callable[[Path], None], message: str, command: tuple[str, ...], run: Run, project: Path
) -> None:
    # cron's `feeds` published artwork linked from outside the project, or hung on a FIFO
    _assert_refused(run, project, setup, command, message)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_plain_text_is_text_in_every_reader(run: Run, project: Path) -> None:
    # RSS readers render <description> as HTML: escaped only by XML, `<img>` was a tag there.
    summary = "<img src=x onerror=alert(2)> Tom & Jerry &amp; friends"
    text = VALID.replace("summary: A summary.", f"summary: '{summary}'")
    (project / "episodes" / "bad.yaml").write_text(text)
    assert run("publish", "episodes/bad.yaml").exit_code == 0
    xml = (project / "public" / "feeds" / "show.xml").read_bytes()
    item = next(
        e for e in podcastparser.parse("f", io.BytesIO(xml))["episodes"] if e["guid"] == "guid-bad"
    )
    assert "<img" not in item["description"] and "<img" not in item.get("description_html", "")
    entry = next(e for e in feedparser.parse(xml).entries if e.id == "guid-bad")
    assert "<img" not in entry.summary and "onerror" in entry.summary  # shown, as text
    # rendered as HTML, the summary reads as the very characters written
    assert html.unescape(entry.summary) == summary
