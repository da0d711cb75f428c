"""The local folder storage's writes: confined to its folder, atomic, folders made once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from showpipe.errors import StorageError
from showpipe.storage.local import LocalStorage

WRITE = {"content_type": "text/html", "cache_control": ""}


@pytest.mark.parametrize("key", ["../escape.html", "a/../../escape.html", "out/page.html"])
def test_a_write_outside_the_folder_is_refused(tmp_path: Path, key: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "public"
    root.mkdir()
    (root / "out").symlink_to(outside)  # a folder inside that links outside
    with pytest.raises(StorageError, match="points outside"):
        LocalStorage(root).put_bytes(key, b"x", **WRITE)
    assert not (tmp_path / "escape.html").exists() and list(outside.iterdir()) == []


def test_a_write_to_a_link_pointing_outside_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"keep")
    root = tmp_path / "public"
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / "a.html").symlink_to(secret)
    storage = LocalStorage(root)
    storage.put_bytes("episodes/b.html", b"page", **WRITE)  # the folder is known now
    with pytest.raises(StorageError, match="points outside"):
        storage.put_bytes("episodes/a.html", b"page", **WRITE)
    assert secret.read_bytes() == b"keep" and (root / "episodes" / "a.html").is_symlink()


def test_writes_go_on_after_their_folder_is_removed(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "public")
    storage.put_bytes("episodes/a.html", b"one", **WRITE)
    shutil.rmtree(tmp_path / "public" / "episodes")
    storage.put_bytes("episodes/b.html", b"two", **WRITE)
    assert storage.get("episodes/b.html") == b"two" and storage.get("episodes/a.html") is None
    assert [p.name for p in (tmp_path / "public" / "episodes").iterdir()] == ["b.html"]
