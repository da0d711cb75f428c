"""Updates, unpublishing, GUIDs that survive renames and moves, and `storage gc`, on real S3."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import podcastparser
import pytest
import requests
from click.testing import Result

from faultproxy import FaultProxy
from s3server import S3Server
from sampleshow import items_by_guid

Run = Callable[..., Result]


def items(public_url: str, name: str = "show") -> dict[str, dict[str, Any]]:
    """The feed's items by GUID, as podcastparser reads them."""
    return items_by_guid(requests.get(f"{public_url}feeds/{name}.xml", timeout=10).content)


def manifest(server: S3Server, bucket: str) -> dict[str, Any]:
    body = server.client().get_object(Bucket=bucket, Key="show/showpipe/manifest.json")["Body"]
    return dict(json.loads(body.read()))


def puts(proxy: FaultProxy) -> list[str]:
    return [
        path.split("?")[0].split("/show/", 1)[-1] for m, path, _ in proxy.requests if m == "PUT"
    ]


def test_editing_metadata_updates_tags_and_feeds_and_resends_only_what_changed(
    run: Run, project: Path, s3_env: str, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.endpoint)
    assert run("publish", "episodes/on-tools.yaml", "episodes/pilot.yaml").exit_code == 0
    guid = "5c1d9a7e-8f40-4b7d-a0d3-6e2b9c4f1a02"
    old_url = items(s3_env)[guid]["enclosures"][0]["url"]
    path = project / "episodes" / "on-tools.yaml"
    path.write_text(path.read_text().replace("title: On Tools", "title: On Tools, Revised"))
    fault_proxy.clear()
    assert run("publish", "episodes/on-tools.yaml").exit_code == 0
    item = items(s3_env)[guid]
    assert item["title"] == "On Tools, Revised"
    # a typo fix keeps the URL (the key follows the recording, not its tags)...
    assert item["enclosures"][0]["url"] == old_url
    fetched = requests.get(old_url, timeout=10)
    # ...and replaces the object there: new tags, the feed's length follows, and caches
    # may keep it an hour at most
    assert b"On Tools, Revised" in fetched.content  # ID3 title in the uploaded copy
    assert item["enclosures"][0]["file_size"] == len(fetched.content)
    assert fetched.headers["Cache-Control"] == "public, max-age=3600"
    assert "media/" not in run("storage", "gc").stdout  # no old copy left behind
    sent = puts(fault_proxy)
    # only the re-tagged media (audio, video, opus alternate), then the record and feeds;
    # artwork, poster, transcript and the other episode's files are not sent again
    # (the chapters JSON names the episode, so it changes too; so do the show's pages)
    changed = ("media/on-tools-", "chapters/on-tools-", "showpipe/", "feeds/", "index.html")
    changed += ("embed/on-tools.html",)
    assert all(k.startswith(changed) for k in sent), " ".join(sent)
    assert not any(k.endswith((".jpg", ".vtt")) for k in sent)
    fault_proxy.clear()
    assert run("publish", "episodes/on-tools.yaml").exit_code == 0
    assert [k for k in puts(fault_proxy) if not k.startswith("showpipe/lease")] == []


def test_unpublish_takes_it_out_of_the_feeds_and_keeps_or_deletes_its_files(
    run: Run, project: Path, s3_env: str, s3_server: S3Server, s3_bucket: str
) -> None:
    episodes = ("episodes/pilot.yaml", "episodes/listener-mail.yaml")
    assert run("publish", *episodes).exit_code == 0
    pilot = "0b6f2f5e-3d1c-4e0a-9a51-2f0c7f1d8e01"
    record = manifest(s3_server, s3_bucket)["episodes"][pilot]
    media_key = "show/" + record["media"]["audio"]["key"]
    before = s3_server.keys(s3_bucket)

    dry = run("unpublish", "--dry-run", "--delete-media", "episodes/pilot.yaml")
    assert dry.exit_code == 0 and "remove Pilot" in dry.stdout and "delete media/" in dry.stdout
    assert s3_server.keys(s3_bucket) == before and pilot in items(s3_env)
    assert "unpublished" not in (project / episodes[0]).read_text()

    assert run("unpublish", "episodes/pilot.yaml").exit_code == 0
    assert pilot not in items(s3_env) and len(items(s3_env)) == 1
    assert media_key in s3_server.keys(s3_bucket)  # kept by default
    assert "unpublished: true" in (project / episodes[0]).read_text()
    assert run("feeds").exit_code == 0 and pilot not in items(s3_env)

    result = run("unpublish", "--delete-media", "episodes/pilot.yaml")
    assert result.exit_code == 0 and f"deleted {media_key[5:]}" in result.stdout
    assert media_key not in s3_server.keys(s3_bucket)
    assert pilot not in manifest(s3_server, s3_bucket)["episodes"]
    assert "No leftovers." in run("storage", "gc", "--older-than", "0").stdout
    other = run("unpublish", "episodes/pilot.yaml")
    assert other.exit_code == 1 and "never published" in other.stderr


def test_guids_survive_renaming_files_slug_title_and_moving_storage(
    run: Run,
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    private_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    episodes = project / "episodes"
    (episodes / "fresh.yaml").write_text(
        "title: Fresh\npublished: 2026-11-10T10:00:00+00:00\nsummary: s\ndescription: d\n"
        "audio: media/listener-mail.mp3\n"
    )
    assert run("publish", "episodes/fresh.yaml").exit_code == 0
    guids = set(items(s3_env))
    assert len(guids) == 1  # written into the YAML on first publish
    # rename the YAML (so the slug), the media file, and the title
    text = (episodes / "fresh.yaml").read_text().replace("Fresh", "Renamed")
    (episodes / "renamed.yaml").write_text(text.replace("listener-mail.mp3", "moved.mp3"))
    (episodes / "fresh.yaml").unlink()
    (episodes / "media" / "listener-mail.mp3").rename(episodes / "media" / "moved.mp3")
    assert run("publish", "episodes/renamed.yaml").exit_code == 0
    now = items(s3_env)
    assert set(now) == guids and next(iter(now.values()))["title"] == "Renamed"
    # move to another bucket (new public URL): same GUIDs there
    public_url = f"{s3_server.endpoint}/{private_bucket}/show/"
    monkeypatch.setenv("SHOWPIPE_STORAGE", f"s3://{private_bucket}/show")
    monkeypatch.setenv("SHOWPIPE_PUBLIC_URL", public_url)
    assert run("publish", "episodes/renamed.yaml").exit_code == 0
    body = s3_server.client().get_object(Bucket=private_bucket, Key="show/feeds/show.xml")
    moved = podcastparser.parse("feed", io.BytesIO(body["Body"].read()))["episodes"]
    assert {e["guid"] for e in moved} == guids


def test_gc_lists_leftovers_and_deletes_them_only_when_asked(
    run: Run, project: Path, s3_env: str, s3_server: S3Server, s3_bucket: str
) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="show/media/orphan-0123456789ab.mp3", Body=b"x")
    client.create_multipart_upload(Bucket=s3_bucket, Key="show/media/big-abc.mp4")
    before = s3_server.keys(s3_bucket)

    # moto dates every multipart upload 2010-11-10: younger than 200,000 hours it is not
    young = run("storage", "gc", "--older-than", "200000")
    assert "unreferenced media/orphan-0123456789ab.mp3" in young.stdout
    assert "big-abc" not in young.stdout
    listed = run("storage", "gc", "--older-than", "0")
    assert listed.exit_code == 0 and "unfinished upload of media/big-abc.mp4" in listed.stdout
    assert "2 leftover(s)" in listed.stdout
    assert s3_server.keys(s3_bucket) == before  # listing deletes nothing
    assert len(client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])) == 1

    deleted = run("storage", "gc", "--delete", "--older-than", "0")
    assert deleted.exit_code == 0 and "deleted media/orphan-0123456789ab.mp3" in deleted.stdout
    assert "aborted upload of media/big-abc.mp4" in deleted.stdout
    assert s3_server.keys(s3_bucket) == before - {"show/media/orphan-0123456789ab.mp3"}
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert len(items(s3_env)) == 1  # the published episode's files are all still there
    for item in items(s3_env).values():
        assert requests.get(item["enclosures"][0]["url"], timeout=10).status_code == 200


def test_gc_on_a_folder_finds_a_killed_write_s_temp_file(run: Run, project: Path) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    public = project / "public"
    (public / "media" / ".pilot-0123.mp3.k1ll3d").write_bytes(b"half")
    listed = run("storage", "gc", "--older-than", "0")
    assert "unfinished upload of media/pilot-0123.mp3" in listed.stdout
    assert run("storage", "gc", "--delete", "--older-than", "0").exit_code == 0
    assert not (public / "media" / ".pilot-0123.mp3.k1ll3d").exists()
    assert "No leftovers." in run("storage", "gc", "--older-than", "0").stdout
