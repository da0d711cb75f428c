"""How a publish checks what it uploaded: many objects by one listing, a few by asking each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash

from s3server import S3Server, record_requests
from sampleshow import NOW
from showpipe.config import load_settings
from showpipe.errors import StorageError
from showpipe.model.manifest import StoredFile
from showpipe.model.project import load_project
from showpipe.publishing.plan import plan_publish, run_plan
from showpipe.publishing.uploads import LIST_FROM, Upload, verify_uploads
from showpipe.storage import PutItem, open_storage
from showpipe.storage.local import LocalStorage
from showpipe.storage.s3 import S3Storage
from showpipe.storage.s3config import load_s3_config


def uploads_of(folder: Path, sizes: list[int]) -> list[Upload]:
    """Local files of the given sizes under media/, as a plan's uploads."""
    uploads = []
    for i, size in enumerate(sizes):
        path = folder / f"f{i:03}.mp3"
        path.write_bytes(bytes([i % 256]) * size)
        digest = xxhash.xxh3_128_hexdigest(path.read_bytes())
        uploads.append(
            Upload(StoredFile(f"media/f{i:03}.mp3", size, digest, "audio/mpeg"), path, True)
        )
    return uploads


def test_many_uploads_are_checked_by_one_listing_not_a_request_each(
    project: Path,
    s3_server: S3Server,
    s3_bucket: str,
    make_episode: Callable[..., Path],
) -> None:
    # Each episode's tagged copy differs (its tags do), so each is an object of its own.
    chosen = [make_episode(f"many-{i}") for i in range(LIST_FROM + 1)]
    public_url = f"{s3_server.endpoint}/{s3_bucket}/show/"
    settings = load_settings(
        project,
        {
            "storage": f"s3://{s3_bucket}/show",
            "public_url": public_url,
            "s3": {"addressing_style": "path", "endpoint_url": s3_server.endpoint},
        },
    )
    storage = open_storage(settings)
    plan = plan_publish(load_project(settings), storage, chosen, now=NOW)
    sent = record_requests(storage)
    run_plan(plan, storage)
    media_puts = [url for method, url in sent if method == "PUT" and "/show/media/" in url]
    assert len(media_puts) == LIST_FROM + 1
    assert not [url for method, url in sent if method == "HEAD" and "/show/media/" in url]
    listings = [url for method, url in sent if method == "GET" and "list-type=2" in url]
    # one before the uploads (what a killed run left), one after (what is there now)
    assert len([url for url in listings if "prefix=show%2Fmedia%2F" in url]) == 2


@pytest.mark.parametrize("count", [3, LIST_FROM])
@pytest.mark.parametrize("fault", ["short", "missing"])
def test_an_object_missing_or_short_after_upload_stops_the_run(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str, count: int, fault: str
) -> None:
    uploads = uploads_of(tmp_path, [1000 + i for i in range(count)])
    storage = S3Storage(
        load_s3_config(f"s3://{s3_bucket}/show", {"endpoint_url": s3_server.endpoint})
    )
    storage.put_files([PutItem(u.file.key, u.source, "audio/mpeg", "x") for u in uploads[1:]])
    if fault == "short":
        storage.put_bytes(
            uploads[0].file.key, b"x" * 999, content_type="audio/mpeg", cache_control="x"
        )
    expected = {"short": "stored 999 bytes", "missing": "missing after upload"}[fault]
    with pytest.raises(StorageError, match=f"media/f000.mp3: {expected}"):
        verify_uploads(uploads, storage)


def test_a_local_folder_is_checked_by_listing_too(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    uploads = uploads_of(source, [10 + i for i in range(LIST_FROM + 2)])
    storage = LocalStorage(tmp_path / "public")
    storage.put_files([PutItem(u.file.key, u.source, "", "") for u in uploads])
    verify_uploads(uploads, storage)
    assert storage.list_sizes("media/") == {u.file.key: u.file.size for u in uploads}
    (tmp_path / "public" / "media" / "f005.mp3").write_bytes(b"")
    with pytest.raises(StorageError, match="media/f005.mp3: stored 0 bytes"):
        verify_uploads(uploads, storage)


class LaggingListing(LocalStorage):
    """A folder whose listing has not caught up with the newest write yet."""

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        sizes = super().list_sizes(prefix)
        sizes.pop(max(sizes), None)
        return sizes


def test_an_object_a_lagging_listing_lacks_is_asked_about(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    uploads = uploads_of(source, [10 + i for i in range(LIST_FROM)])
    storage = LaggingListing(tmp_path / "public")
    storage.put_files([PutItem(u.file.key, u.source, "", "") for u in uploads])
    verify_uploads(uploads, storage)  # the newest is found by asking about it
    (tmp_path / "public" / uploads[-1].file.key).unlink()
    with pytest.raises(StorageError, match=f"{uploads[-1].file.key}: missing after upload"):
        verify_uploads(uploads, storage)
