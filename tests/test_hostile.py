"""Hostile input, against the real S3 server: one clear `file:line` error, exit 1, nothing
uploaded or changed. And credentials that never leak into output, logs, feeds or objects."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import podcastparser
import pytest
import requests
from click.testing import Result

from faultproxy import FaultProxy
from s3server import S3Server
from showpipe.model.manifest import SAFE_KEY
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


def _symlink(project: Path) -> str:
    (project / "episodes" / "media" / "link.mp3").symlink_to(project.parent / "outside.mp3")
    (project.parent / "outside.mp3").write_bytes(
        (project / "episodes" / "media" / "pilot.mp3").read_bytes()
    )
    return VALID.replace("media/pilot.mp3", "media/link.mp3")


def _pilot(project: Path) -> bytes:
    return (project / "episodes" / "media" / "pilot.mp3").read_bytes()


# (id, YAML text or a function of the project writing files and returning it, message)
HOSTILE: list[tuple[str, str | Callable[[Path], str | bytes], str]] = [
    ("syntax", HEAD + "title: [unclosed\naudio: media/pilot.mp3\n", r"bad\.yaml:6: invalid YAML"),
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
    ("not-utf8", lambda p: VALID.encode().replace(b"Bad", b"Caf\xe9"), r"bad\.yaml:5: file is not valid UTF-8"),  # noqa: E501
    ("duplicate-guid", VALID.replace("guid-bad", "5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"), r"bad\.yaml:1: guid: .* also the GUID of on-tools\.yaml"),  # noqa: E501
]  # fmt: skip


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
    assert "Ep_1.yaml" in result.stderr and "/ep-1-" in result.stderr  # the key they share
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
