"""The build cache's hash file: read once per process, yet never stale, and kept tidy."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from showpipe.media import HashCache
from showpipe.media.hashes import HASHES_FILE, identity


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_second_cache_sees_what_the_first_saved(tmp_path: Path) -> None:
    audio = tmp_path / "a.mp3"
    audio.write_bytes(b"a" * 100)
    first = HashCache(tmp_path / "cache")
    assert first.sha256(audio) == sha(audio)
    first.save()
    assert HashCache(tmp_path / "cache").known(audio) == sha(audio)


def test_a_file_rewritten_by_another_process_is_read_again(tmp_path: Path) -> None:
    audio, other = tmp_path / "a.mp3", tmp_path / "b.mp3"
    audio.write_bytes(b"a" * 100)
    other.write_bytes(b"b" * 100)
    cache = HashCache(tmp_path / "cache")
    cache.sha256(audio)
    cache.save()
    # as another showpipe process would: a new file put in place
    key, *rest = identity(other)
    data = {"files": {str(key): [*rest, "f" * 64]}, "copies": {}}
    tmp = tmp_path / "cache" / "new.json"
    tmp.write_text(json.dumps(data))
    os.replace(tmp, tmp_path / "cache" / HASHES_FILE)
    again = HashCache(tmp_path / "cache")
    assert again.known(other) == "f" * 64
    assert again.known(audio) is None


def test_files_that_are_gone_are_forgotten_when_read(tmp_path: Path) -> None:
    audio = tmp_path / "a.mp3"
    audio.write_bytes(b"a" * 100)
    cache = HashCache(tmp_path / "cache")
    cache.sha256(audio)
    cache.save()
    audio.unlink()
    saved = json.loads((tmp_path / "cache" / HASHES_FILE).read_text())
    assert str(audio.resolve()) in saved["files"]
    # A stale entry would be trusted by nothing (identity includes size, mtime and inode),
    # but it is not carried on: the next process drops it.
    os.utime(tmp_path / "cache" / HASHES_FILE, ns=(1, 1))
    reread = HashCache(tmp_path / "cache")
    reread.remember(tmp_path / "cache" / HASHES_FILE, "0" * 64)
    reread.save()
    saved = json.loads((tmp_path / "cache" / HASHES_FILE).read_text())
    assert str(audio.resolve()) not in saved["files"]
