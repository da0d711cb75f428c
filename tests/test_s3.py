"""S3 storage against a real S3 server process (moto), read back over plain HTTP."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import podcastparser
import pytest
import requests
import xxhash
from click.testing import Result

from faultproxy import FaultProxy
from s3server import S3Server, free_port, record_requests
from sampleshow import NOW, publish_into, sample_episodes
from showpipe.commands.feeds import refresh_feeds
from showpipe.commands.publish import publish
from showpipe.commands.run import Outcome
from showpipe.commands.run import Run as CommandRun
from showpipe.commands.site import refresh_site
from showpipe.config import Settings, load_settings
from showpipe.errors import ConfigError, StorageError
from showpipe.model.project import load_project
from showpipe.publishing.plan import plan_feeds_only, plan_publish, run_plan
from showpipe.storage import MANIFEST_KEY, PutItem, open_storage
from showpipe.storage.s3 import S3Storage
from showpipe.storage.s3config import load_s3_config
from showpipe.web.siteindex import INDEX_MEMO_FILE, SITE_INDEX_KEY
from terminal import run_on_terminal

Run = Callable[..., Result]
EPISODES = ["episodes/listener-mail.yaml", "episodes/on-tools.yaml", "episodes/pilot.yaml"]


def s3_settings(project: Path, bucket: str, public_url: str, **s3: Any) -> Settings:
    return load_settings(
        project,
        {
            "storage": f"s3://{bucket}/show",
            "public_url": public_url,
            "s3": {"addressing_style": "path", **s3},
        },
    )


def test_publish_then_read_every_object_back_over_http(
    run: Run, project: Path, s3_env: str
) -> None:
    result = run("publish", *EPISODES)
    assert result.exit_code == 0, result.output
    assert "3 episode(s)" in result.stdout and f"{s3_env}feeds/show.xml" in result.stdout

    feed = requests.get(f"{s3_env}feeds/show.xml", timeout=10)
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "application/rss+xml"
    assert feed.headers["Cache-Control"] == "public, max-age=300"
    parsed = podcastparser.parse(f"{s3_env}feeds/show.xml", io.BytesIO(feed.content))
    # the manifest, read back over HTTP too, describes the tagged copies that were uploaded
    manifest = requests.get(f"{s3_env}showpipe/manifest.json", timeout=10).json()
    assert len(parsed["episodes"]) == 3
    for item in parsed["episodes"]:
        [enclosure] = item["enclosures"]
        audio = manifest["episodes"][item["guid"]]["media"]["audio"]
        response = requests.get(enclosure["url"], timeout=10)
        assert xxhash.xxh3_128_hexdigest(response.content) == audio["digest"]
        assert response.headers["Content-Type"] == "audio/mpeg" == enclosure["mime_type"]
        # replaced in place when its tags change: an hour in a cache at most
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert response.headers["x-amz-meta-xxh128"] == audio["digest"]
        assert enclosure["file_size"] == len(response.content) == audio["size"]
        ranged = requests.get(enclosure["url"], headers={"Range": "bytes=100-299"}, timeout=10)
        assert ranged.status_code == 206
        assert ranged.content == response.content[100:300]
        assert ranged.headers["Content-Range"] == f"bytes 100-299/{audio['size']}"

    artwork = requests.get(parsed["cover_url"], timeout=10)
    assert artwork.headers["Content-Type"] == "image/jpeg"
    assert artwork.content == (project / "feeds" / "artwork" / "show.jpg").read_bytes()
    videos = podcastparser.parse(
        f"{s3_env}feeds/videos.xml", io.BytesIO(requests.get(f"{s3_env}feeds/videos.xml").content)
    )
    video = requests.get(videos["episodes"][0]["enclosures"][0]["url"], timeout=10)
    assert video.headers["Content-Type"] == "video/mp4"
    on_tools = manifest["episodes"][videos["episodes"][0]["guid"]]
    assert xxhash.xxh3_128_hexdigest(video.content) == on_tools["media"]["video"]["digest"]
    [transcript] = on_tools["transcripts"]
    vtt = requests.get(s3_env + transcript["key"], timeout=10)
    assert vtt.headers["Content-Type"] == "text/vtt"
    assert vtt.content == (project / "episodes" / "media" / "on-tools.vtt").read_bytes()


def test_republish_uploads_nothing_with_requests_independent_of_episode_count(
    project: Path,
    s3_env: str,
    s3_bucket: str,
    make_episode: Callable[..., Path],
) -> None:
    extra = [make_episode(f"extra-{i}", audio="media/pilot.mp3") for i in range(6)]
    settings = s3_settings(project, s3_bucket, s3_env)
    all_episodes = sample_episodes(settings)
    publish_into(open_storage(settings), settings, all_episodes)

    counts = {}
    for chosen in (extra[:1], all_episodes):
        storage = open_storage(settings)
        sent = record_requests(storage)
        plan = plan_publish(load_project(settings), storage, chosen, now=NOW)
        run_plan(plan, storage)
        assert not plan.changes_anything
        # nothing written, nothing downloaded: the manifest parsed before is known by its
        # ETag, and the feeds built before by the digests stored with them
        assert {method for method, _ in sent} == {"HEAD"}
        counts[len(chosen)] = len(sent)
    # the manifest's version and each feed's, however many episodes are republished
    feeds = len(load_project(settings).feeds)
    assert counts == {1: 1 + feeds, len(all_episodes): 1 + feeds}
    assert len(all_episodes) == 9


def test_publishing_a_new_episode_on_s3_downloads_neither_manifest_nor_feeds(
    project: Path, s3_env: str, s3_bucket: str, make_episode: Callable[..., Path]
) -> None:
    """The feeds stored before are known by the digests stored with them (HEAD requests):
    what the diff, the GUID guard and the storage guard need of them comes from the item
    cache that saw them built. A big show's feeds are megabytes each."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    new = make_episode("brand-new", audio="media/pilot.mp3")
    storage = open_storage(settings)
    sent = record_requests(storage)
    plan = plan_publish(load_project(settings), storage, [new], now=NOW)
    run_plan(plan, storage)
    assert [f.added for f in plan.feeds if f.name == "show"] == [["Episode brand-new"]]
    downloads = [url for method, url in sent if method == "GET"]
    assert not [url for url in downloads if "/feeds/" in url or url.endswith(MANIFEST_KEY)]
    assert [m for m, url in sent if url.endswith("/feeds/show.xml")] == ["HEAD", "PUT"]


def test_a_publish_asks_for_the_manifest_once_before_the_lock_and_once_under_it(
    project: Path, s3_env: str, s3_bucket: str, make_episode: Callable[..., Path]
) -> None:
    """The whole `publish` command (lock, lease, pages, cron's record) for a new episode: the
    manifest's ETag is asked for by the plan and checked under the lock, then the manifest is
    written; cron's record takes the ETag of that write. The next cron run has nothing to do."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    new = make_episode("brand-new", audio="media/pilot.mp3")
    storage = open_storage(settings)
    sent = record_requests(storage)
    outcome = publish(CommandRun(settings, storage, NOW), [new])
    assert outcome.wrote and "episodes/brand-new.html" in outcome.pages
    assert [m for m, url in sent if url.endswith(MANIFEST_KEY)] == ["HEAD", "HEAD", "PUT"]
    assert refresh_feeds(CommandRun(settings, storage, NOW)) is None
    # written conditionally, it carries its digest as every object showpipe writes does
    manifest, info = storage.get(MANIFEST_KEY), storage.stat(MANIFEST_KEY)
    assert manifest is not None and info is not None
    assert info.digest == xxhash.xxh3_128_hexdigest(manifest)


def test_a_publish_downloads_the_site_index_only_when_another_machine_stored_it(
    project: Path, s3_env: str, s3_bucket: str, make_episode: Callable[..., Path]
) -> None:
    """A run that writes pages reads the site index, then writes it: by its ETag (a big
    show's index is megabytes), as this machine last read or wrote it. A machine that does
    not know that ETag downloads the index once."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    storage = open_storage(settings)
    assert publish(CommandRun(settings, storage, NOW), [make_episode("first")]).wrote

    def pages_of_new_episode(slug: str) -> list[str]:
        sent = record_requests(storage)
        outcome = publish(CommandRun(settings, storage, NOW), [make_episode(slug)])
        assert f"episodes/{slug}.html" in outcome.pages
        return [m for m, url in sent if url.endswith(SITE_INDEX_KEY)]

    assert pages_of_new_episode("second") == ["HEAD", "PUT"]
    (settings.cache_dir / INDEX_MEMO_FILE).unlink()  # as on another machine
    assert pages_of_new_episode("third") == ["HEAD", "GET", "PUT"]
    assert pages_of_new_episode("fourth") == ["HEAD", "PUT"]


def test_unchanged_feeds_are_not_downloaded_when_the_item_cache_is_lost(
    project: Path, s3_env: str, s3_bucket: str
) -> None:
    """A feed that the new build leaves as it is stored is known from the build itself, by
    the digest stored with it: even with the item cache gone (deleted, or kept by another
    machine) its megabytes are not downloaded, and the next run knows it too."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    for cache in settings.cache_dir.glob("feed-items*"):
        cache.unlink()
    for _ in range(2):
        storage = open_storage(settings)
        sent = record_requests(storage)
        plan = plan_feeds_only(load_project(settings), storage, now=NOW)
        assert plan.feeds and not any(feed.changed for feed in plan.feeds)
        assert not [url for method, url in sent if method == "GET" and "/feeds/" in url]


def test_a_feed_stored_by_hand_with_the_same_bytes_is_read_once_and_left_alone(
    project: Path, s3_env: str, s3_bucket: str, s3_server: S3Server
) -> None:
    """A feed stored without its digest (by hand, or by an older showpipe) is downloaded to
    be compared; if its bytes are the ones built, the feed is unchanged: not stored again."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    storage = open_storage(settings)
    feed = storage.get("feeds/show.xml")
    assert feed is not None
    s3_server.client().put_object(Bucket=s3_bucket, Key="show/feeds/show.xml", Body=feed)
    sent = record_requests(storage)
    plan = plan_feeds_only(load_project(settings), storage, now=NOW)
    assert [m for m, url in sent if url.endswith("/feeds/show.xml")] == ["HEAD", "GET"]
    show = next(update for update in plan.feeds if update.name == "show")
    assert not show.changed and not (show.added or show.updated or show.removed)


def test_cron_on_s3_asks_for_versions_and_digests_without_downloading(
    project: Path, s3_env: str, s3_bucket: str, s3_server: S3Server
) -> None:
    """A quiet cron run sends HEAD requests only: the manifest's ETag and each feed's digest
    stored with it (a big show's manifest and feeds are megabytes, every few minutes). What
    another run or a person stored since is seen all the same."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    storage = open_storage(settings)

    def cron() -> Outcome | None:
        return refresh_feeds(CommandRun(settings, storage, NOW))

    assert cron() is not None  # the first run records what it saw
    sent = record_requests(storage)
    assert cron() is None
    assert sent and {method for method, _ in sent} == {"HEAD"}
    # another run stored a manifest since: other bytes, another ETag
    manifest = storage.get(MANIFEST_KEY)
    assert manifest is not None
    storage.put_bytes(MANIFEST_KEY, manifest + b"\n", content_type="x", cache_control="x")
    assert cron() is not None and cron() is None
    # a feed stored by hand carries no digest: its bytes are read, and a change is seen
    raw = s3_server.client()
    feed = storage.get("feeds/show.xml")
    assert feed is not None
    raw.put_object(Bucket=s3_bucket, Key="show/feeds/show.xml", Body=feed)
    assert cron() is None
    raw.put_object(
        Bucket=s3_bucket, Key="show/feeds/show.xml", Body=feed.replace(b"<item>", b"<item> ", 1)
    )
    assert cron() is not None


def test_an_unchanged_site_on_s3_is_known_without_downloading_its_index(
    project: Path, s3_env: str, s3_bucket: str, s3_server: S3Server
) -> None:
    """`showpipe site` with nothing changed asks for the site index's ETag, not its bytes (a
    big show's index is megabytes): the inputs it records are kept by this machine under the
    ETag it read them at. An index another run or a person stored since is read again."""
    settings = s3_settings(project, s3_bucket, s3_env)
    publish_into(open_storage(settings), settings, sample_episodes(settings))
    storage = open_storage(settings)

    def site() -> Outcome | None:
        return refresh_site(
            settings, storage, now=NOW, open_run=lambda: CommandRun(settings, storage, NOW)
        )

    assert site() is not None  # writes the pages and records its inputs
    assert site() is None  # reads the index once, and keeps what it recorded
    sent = record_requests(storage)
    assert site() is None
    assert sent and {method for method, _ in sent} == {"HEAD"}
    # stored again by someone else (other bytes, another ETag): read, and still current
    index = storage.get(SITE_INDEX_KEY)
    assert index is not None
    edited = index + b"\n"
    s3_server.client().put_object(Bucket=s3_bucket, Key=f"show/{SITE_INDEX_KEY}", Body=edited)
    sent.clear()
    assert site() is None
    assert [m for m, url in sent if url.endswith(SITE_INDEX_KEY)] == ["HEAD", "GET"]


def test_large_file_goes_up_in_multipart_parts_with_progress_and_hash(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(11 * 1024 * 1024 + 123))
    storage = S3Storage(
        load_s3_config(
            f"s3://{s3_bucket}/show",
            {"endpoint_url": s3_server.endpoint, "multipart_chunksize_mb": "5"},
        )
    )
    sent: list[int] = []
    item = PutItem("media/big.mp3", big, "audio/mpeg", "public, max-age=60", "abc123")
    storage.put_files([item], progress=sent.append)
    assert sum(sent) == big.stat().st_size and len(sent) > 1
    head = s3_server.client().head_object(Bucket=s3_bucket, Key="show/media/big.mp3")
    assert head["ETag"].endswith('-3"')  # three parts: 5 + 5 + 1 MB
    assert head["Metadata"] == {"xxh128": "abc123"}
    assert head["ContentType"] == "audio/mpeg"
    url = f"{s3_server.endpoint}/{s3_bucket}/show/media/big.mp3"
    assert requests.get(url, timeout=30).content == big.read_bytes()


def test_acl_and_storage_class_are_applied_when_set(
    project: Path, s3_server: S3Server, private_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    public_url = f"{s3_server.endpoint}/{private_bucket}/show/"
    settings = s3_settings(
        project, private_bucket, public_url, acl="public-read", storage_class="STANDARD_IA"
    )
    publish_into(open_storage(settings), settings, [project / EPISODES[2]])
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=private_bucket)["Contents"]]
    media = next(k for k in keys if k.startswith("show/media/"))
    assert client.head_object(Bucket=private_bucket, Key=media)["StorageClass"] == "STANDARD_IA"
    # feeds stay in the standard class: they are rewritten often
    assert "StorageClass" not in client.head_object(
        Bucket=private_bucket, Key="show/feeds/show.xml"
    )
    # the bucket has no public policy: the ACL alone makes the objects readable
    assert requests.get(f"{public_url}feeds/show.xml", timeout=10).status_code == 200


def test_without_acl_a_private_bucket_stays_private(
    run: Run, s3_env: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_server.client().create_bucket(Bucket="private-show")
    monkeypatch.setenv("SHOWPIPE_STORAGE", "s3://private-show/show")
    assert run("publish", EPISODES[2]).exit_code == 0
    url = f"{s3_server.endpoint}/private-show/show/feeds/show.xml"
    assert requests.get(url, timeout=10).status_code == 403
    assert s3_server.client().get_object(Bucket="private-show", Key="show/feeds/show.xml")


def test_missing_bucket_is_one_clear_error(
    run: Run, s3_env: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWPIPE_STORAGE", "s3://no-such-bucket/show")
    result = run("publish", EPISODES[2])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: cannot read s3://no-such-bucket/show/showpipe/manifest.json")
    assert "bucket 'no-such-bucket'" in line and f"endpoint {s3_server.endpoint}" in line
    assert "the bucket does not exist there" in line


def test_bad_credentials_are_one_clear_error_without_the_keys(
    run: Run, s3_env: str, strict_s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", strict_s3_server.endpoint)
    result = run("publish", EPISODES[2])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "access denied (InvalidAccessKeyId)" in result.stderr
    assert f"endpoint {strict_s3_server.endpoint}" in result.stderr
    assert "testing-access-key" not in result.output
    assert "testing-secret-key" not in result.output


def test_wrong_endpoint_is_one_clear_error(
    run: Run, s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("SHOWPIPE_S3_MAX_ATTEMPTS", "1")
    result = run("publish", EPISODES[2])
    assert result.exit_code == 1
    assert "the endpoint does not answer" in result.stderr
    assert "AWS_ENDPOINT_URL_S3" in result.stderr


def test_throttling_is_retried_with_backoff(fault_proxy: FaultProxy, s3_bucket: str) -> None:
    # throttling first, then a server error, as a busy S3 may answer
    fault_proxy.add("PUT", r"/a\.txt", "503")
    fault_proxy.add("PUT", r"/a\.txt", "500")
    options = {"endpoint_url": fault_proxy.endpoint}
    storage = S3Storage(load_s3_config(f"s3://{s3_bucket}/show", options))
    storage.put_bytes("a.txt", b"hello", content_type="text/plain", cache_control="no-cache")
    assert [outcome for method, _, outcome in fault_proxy.requests if method == "PUT"] == [
        "503",
        "500",
        "forward",
    ]
    assert storage.get("a.txt") == b"hello"


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("s3://", {}, "expected s3://bucket"),
        ("s3://b", {"bukket": "x"}, "unknown setting(s) bukket"),
        ("s3://b", {"checksum": "always"}, "'always' is not one of when_required, when_supported"),
        ("s3://b", {"addressing_style": "dns"}, "not one of auto, path, virtual"),
        ("s3://b", {"max_concurrency": "many"}, "not a positive whole number"),
        ("s3://b", {"max_attempts": 0}, "not a positive whole number"),
    ],
)
def test_bad_s3_settings_are_config_errors(
    target: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_s3_config(target, options)


def test_s3_target_gives_bucket_and_prefix_with_safe_defaults() -> None:
    config = load_s3_config("s3://my-show/podcast/audio/", {})
    assert (config.bucket, config.prefix) == ("my-show", "podcast/audio/")
    assert config.checksum == "when_required" and config.acl is None
    assert load_s3_config("s3://my-show", {}).prefix == ""


def test_s3_settings_precedence_is_flag_then_env_then_file(
    run: Run, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = project / "showpipe.toml"
    toml.write_text(
        'storage = "s3://show-bucket/p"\npublic_url = "https://cdn.example/p/"\n'
        '[s3]\nchecksum = "from-file"\n'
    )
    result = run("storage", "cors", "--dry-run")
    assert result.exit_code == 1
    assert (
        "Error: s3 setting checksum (showpipe.toml [s3], --s3-checksum or SHOWPIPE_S3_CHECKSUM): "
        "'from-file' is not one of when_required, when_supported"
    ) in result.stderr
    monkeypatch.setenv("SHOWPIPE_S3_CHECKSUM", "when_supported")
    assert run("storage", "cors", "--dry-run").exit_code == 0
    monkeypatch.setenv("SHOWPIPE_S3_CHECKSUM", "from-env")
    assert "'from-env'" in run("storage", "cors", "--dry-run").stderr
    result = run("--s3-checksum", "when_required", "storage", "cors", "--dry-run")
    assert result.exit_code == 0
    assert "Would set CORS rules on s3://show-bucket/p/" in result.stdout
    assert "allow GET, HEAD from *" in result.stdout


def test_storage_errors_name_bucket_key_and_endpoint(s3_server: S3Server) -> None:
    storage = S3Storage(
        load_s3_config("s3://nope/x", {"endpoint_url": s3_server.endpoint, "max_attempts": 1})
    )
    with pytest.raises(StorageError) as error:
        storage.put_bytes("feeds/a.xml", b"x", content_type="text/xml", cache_control="no-cache")
    assert str(error.value).startswith(
        f"cannot write s3://nope/x/feeds/a.xml (bucket 'nope', endpoint {s3_server.endpoint})"
    )


def test_progress_bars_on_a_terminal_and_silence_elsewhere(
    run: Run, project: Path, s3_env: str, make_episode: Callable[..., Path]
) -> None:
    # a large file gets a bar of its own: the sample MP3 followed by its frames, 9 MB long
    sample = (project / "episodes" / "media" / "pilot.mp3").read_bytes()
    frames = sample[sample.index(b"\xff\xf3") :]
    big = sample + frames * (9 * 1024 * 1024 // len(frames))
    (project / "episodes" / "media" / "big.mp3").write_bytes(big)
    make_episode("big", audio="media/big.mp3")
    drawn = run_on_terminal(project, "publish", *EPISODES, "episodes/big.yaml")
    assert re.search(r"media/big-[0-9a-f]{12}\.mp3  \[#+\]  100%", drawn), drawn
    assert re.search(r"\d+ files  \[#+\]  100%", drawn), drawn  # the small ones, together
    assert "Published 4 episode(s)" in drawn
    # a pipe (cron) and --quiet get no bar
    (project / "episodes" / "pilot.yaml").write_text(
        (project / "episodes" / "pilot.yaml").read_text().replace("Pilot", "Pilot, again")
    )
    piped = run("publish", EPISODES[2])
    assert piped.exit_code == 0 and "%" not in piped.output
    assert run_on_terminal(project, "-q", "publish", *EPISODES) == ""


def test_other_server_refusals_carry_the_code_and_message(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    storage = S3Storage(
        load_s3_config(
            f"s3://{s3_bucket}/show",
            {"endpoint_url": s3_server.endpoint, "storage_class": "PAPER_TAPE"},
        )
    )
    (tmp_path / "a.mp3").write_bytes(b"x")
    with pytest.raises(StorageError) as error:
        storage.put_files([PutItem("media/a.mp3", tmp_path / "a.mp3", "audio/mpeg", "x")])
    assert f"cannot upload s3://{s3_bucket}/show/media/a.mp3" in str(error.value)
    assert "the server answered InvalidStorageClass: " in str(error.value)


def test_s3_without_a_public_url_is_refused_before_anything_is_sent(
    run: Run,
    project: Path,
    s3_env: str,
    s3_server: S3Server,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project / "showpipe.toml").write_text('storage = "public"\n')
    monkeypatch.delenv("SHOWPIPE_PUBLIC_URL")
    result = run("publish", EPISODES[2])
    assert result.exit_code == 1
    assert "needs public_url" in result.stderr and "SHOWPIPE_PUBLIC_URL" in result.stderr
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0
