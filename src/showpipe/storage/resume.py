"""Resuming a multipart upload that a killed run left unfinished: only missing parts are sent.

A run killed in the middle of a large upload (kill -9, a closed laptop, a lost session) leaves
an unfinished multipart upload in the bucket. Its key names the file's content (keys are
content-addressed), so a rerun uploading the same key uploads the same bytes: it lists the
parts stored (ListMultipartUploads, ListParts), keeps each part whose size and ETag (the MD5
of its bytes, for uploads without SSE-KMS or SSE-C) match the local file's part, sends the
others, and completes the upload. A part that cannot be checked is simply sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s3transfer.utils import ChunksizeAdjuster

# Local parts are hashed in blocks of this size, so memory stays small whatever the part size.
READ_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One part of a local file, as s3transfer cuts it: numbered from 1."""

    number: int
    offset: int
    size: int


@dataclass(frozen=True)
class Unfinished:
    """An unfinished upload of a key, and the parts of it that match the local file."""

    upload_id: str
    # PartNumber -> the part entry CompleteMultipartUpload needs (ETag, checksum if any)
    kept: dict[int, dict[str, Any]]
    checksum_algorithm: str | None


def cut_parts(size: int, chunk: int) -> list[Part]:
    """The parts s3transfer cuts a file of `size` bytes into, with its chunk size adjusted
    the way s3transfer adjusts it (at most 10,000 parts, at least 5 MiB each)."""
    chunk = ChunksizeAdjuster().adjust_chunksize(chunk, size)
    count = max(1, -(-size // chunk))
    return [Part(n + 1, n * chunk, min(chunk, size - n * chunk)) for n in range(count)]


def part_etag(path: Path, part: Part) -> str:
    """The ETag S3 gives a part of these bytes: their MD5, in quotes."""
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        f.seek(part.offset)
        left = part.size
        while left > 0:
            block = f.read(min(READ_BLOCK, left))
            if not block:
                break
            md5.update(block)
            left -= len(block)
    return f'"{md5.hexdigest()}"'


def _listed_parts(client: Any, bucket: str, key: str, upload_id: str) -> dict[int, dict[str, Any]]:
    pages = client.get_paginator("list_parts").paginate(Bucket=bucket, Key=key, UploadId=upload_id)
    return {int(p["PartNumber"]): p for page in pages for p in page.get("Parts", [])}


def _kept_parts(
    path: Path, parts: list[Part], listed: dict[int, dict[str, Any]], algorithm: str | None
) -> dict[int, dict[str, Any]]:
    """The stored parts whose size and MD5 match the local file's part of that number."""
    kept: dict[int, dict[str, Any]] = {}
    for part in parts:
        stored = listed.get(part.number)
        if stored is None or int(stored["Size"]) != part.size:
            continue
        if str(stored["ETag"]) != part_etag(path, part):
            continue
        entry: dict[str, Any] = {"PartNumber": part.number, "ETag": str(stored["ETag"])}
        member = f"Checksum{algorithm}" if algorithm else ""
        if member:
            if member not in stored:
                continue  # its checksum is unknown: send it again rather than guess
            entry[member] = str(stored[member])
        kept[part.number] = entry
    return kept


def find_unfinished(
    client: Any, bucket: str, key: str, path: Path, chunk: int
) -> Unfinished | None:
    """The unfinished upload of `key` with the most parts matching `path`, if there is one."""
    pages = client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=key)
    uploads = [u for page in pages for u in page.get("Uploads", []) if u["Key"] == key]
    parts = cut_parts(path.stat().st_size, chunk)
    best: Unfinished | None = None
    for upload in uploads:
        algorithm = upload.get("ChecksumAlgorithm")
        listed = _listed_parts(client, bucket, key, upload["UploadId"])
        kept = _kept_parts(path, parts, listed, algorithm)
        if best is None or len(kept) > len(best.kept):
            best = Unfinished(upload["UploadId"], kept, algorithm)
    return best


def finish_upload(
    client: Any,
    bucket: str,
    key: str,
    path: Path,
    *,
    unfinished: Unfinished,
    chunk: int,
    concurrency: int,
    progress: Callable[[int], None],
) -> int:
    """Send the parts `unfinished` lacks, side by side, then complete it; return bytes sent.

    The parts already stored count as progress at once, so a progress bar starts where the
    killed run stopped.
    """
    parts = cut_parts(path.stat().st_size, chunk)
    progress(sum(p.size for p in parts if p.number in unfinished.kept))
    missing = [p for p in parts if p.number not in unfinished.kept]

    def send(part: Part) -> dict[str, Any]:
        with path.open("rb") as f:
            f.seek(part.offset)
            body = f.read(part.size)
        extra = {"ChecksumAlgorithm": unfinished.checksum_algorithm}
        response = client.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=unfinished.upload_id,
            PartNumber=part.number,
            Body=body,
            **{k: v for k, v in extra.items() if v},
        )
        progress(part.size)
        entry: dict[str, Any] = {"PartNumber": part.number, "ETag": str(response["ETag"])}
        member = f"Checksum{unfinished.checksum_algorithm}"
        if unfinished.checksum_algorithm and member in response:
            entry[member] = str(response[member])
        return entry

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        sent = list(pool.map(send, missing))
    entries = sorted([*unfinished.kept.values(), *sent], key=lambda e: int(e["PartNumber"]))
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=unfinished.upload_id, MultipartUpload={"Parts": entries}
    )
    return sum(p.size for p in missing)
