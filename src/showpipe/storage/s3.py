"""Amazon S3 and S3-compatible services (R2, B2, MinIO, Spaces) as showpipe's storage.

This module is the Storage interface on a bucket: reads, uploads, conditional writes,
listings, CORS rules. Beside it: s3config.py (the settings, and the boto3 client they make),
s3errors.py (every botocore error becomes a StorageError naming the bucket, the key and the
endpoint, with what to do about it), resume.py (finishing a killed run's multipart upload)
and s3setup.py (making a bucket ready). Credentials come only from boto3's own chain;
showpipe never reads, stores or prints them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from boto3.s3.transfer import create_transfer_manager
from s3transfer.subscribers import BaseSubscriber

from showpipe.digests import ALGORITHM, data_digest
from showpipe.errors import ConflictError, NotReadyError, StorageError
from showpipe.storage import Incomplete, ObjectInfo, Progress, PutItem
from showpipe.storage.resume import find_unfinished, finish_upload
from showpipe.storage.s3config import S3Config, make_client, make_session, make_transfer_config
from showpipe.storage.s3errors import CREDENTIALS_FIX, Missing, redact, translate_errors

log = logging.getLogger(__name__)


# What a web player needs: read media, chapters and transcripts from any page, with Range.
CORS_RULE: dict[str, Any] = {
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["*"],
    "ExposeHeaders": ["Accept-Ranges", "Content-Length", "Content-Range", "Content-Type", "ETag"],
    "MaxAgeSeconds": 86400,
}


class _ProgressSubscriber(BaseSubscriber):  # type: ignore[misc]
    """Forwards s3transfer's progress (from its worker threads) to a plain callback."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        self._progress(bytes_transferred)


class S3Storage:
    """A bucket, or a prefix inside one, as showpipe's storage."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.session = make_session(config)
        self.client = make_client(self.session, config)
        self.transfer_config = make_transfer_config(config)

    @property
    def endpoint(self) -> str:
        """The endpoint URL for messages: without a `user:password@` it may carry."""
        return redact(str(self.client.meta.endpoint_url))

    def describe(self) -> str:
        return f"s3://{self.config.bucket}/{self.config.prefix} at {self.endpoint}"

    def _key(self, key: str) -> str:
        return self.config.prefix + key

    def _extra(self, content_type: str, cache_control: str) -> dict[str, Any]:
        extra: dict[str, Any] = {"ContentType": content_type, "CacheControl": cache_control}
        if self.config.acl:
            extra["ACL"] = self.config.acl
        return extra

    def _file_extra(self, item: PutItem) -> dict[str, Any]:
        """An uploaded file's headers, for PutObject and for s3transfer's ExtraArgs alike."""
        extra = self._extra(item.content_type, item.cache_control)
        if self.config.storage_class:
            extra["StorageClass"] = self.config.storage_class
        if item.digest:
            extra["Metadata"] = {ALGORITHM: item.digest}
        return extra

    def get(self, key: str) -> bytes | None:
        try:
            with self.translating("read", key):
                response = self.client.get_object(Bucket=self.config.bucket, Key=self._key(key))
                return bytes(response["Body"].read())
        except Missing:
            return None

    def put_files(self, items: Sequence[PutItem], *, progress: Progress | None = None) -> None:
        """Upload files concurrently: a small one whole, a large one in concurrent multipart
        parts, streamed."""
        threshold = self.transfer_config.multipart_threshold
        sizes = {item.key: item.path.stat().st_size for item in items}
        small = [item for item in items if sizes[item.key] < threshold]
        large = [item for item in items if sizes[item.key] >= threshold]
        if small:
            self._put_whole(small, progress)
        if large:
            self._put_in_parts(large, progress)

    def _put_whole(self, items: Sequence[PutItem], progress: Progress | None) -> None:
        """Small files side by side, each one PutObject of its bytes (under the multipart
        threshold, so at most chunk size x concurrency in memory).

        botocore sends a file body only after an `Expect: 100-continue` round trip, and
        s3transfer's per-file machinery cost about a fifth of the CPU for 50 KB files.
        """

        def put(item: PutItem) -> None:
            data = item.path.read_bytes()
            with self.translating("upload", item.key):
                self.client.put_object(
                    Bucket=self.config.bucket,
                    Key=self._key(item.key),
                    Body=data,
                    **self._file_extra(item),
                )
            if progress:
                progress(len(data))

        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            try:
                for _ in pool.map(put, items):
                    pass  # the first failure is raised here...
            finally:
                pool.shutdown(cancel_futures=True)  # ...and the files not yet started stay

    def _put_in_parts(self, items: Sequence[PutItem], progress: Progress | None) -> None:
        """Large files through s3transfer: concurrent multipart parts, read as they go. A file
        whose upload a killed run left unfinished is resumed instead (resume.py)."""
        items = [item for item in items if not self._resumed(item, progress)]
        subscribers = [_ProgressSubscriber(progress)] if progress else []
        with create_transfer_manager(self.client, self.transfer_config) as manager:
            futures = [
                (
                    item.key,
                    manager.upload(
                        str(item.path),
                        self.config.bucket,
                        self._key(item.key),
                        extra_args=self._file_extra(item),
                        subscribers=subscribers,
                    ),
                )
                for item in items
            ]
            for key, future in futures:
                with self.translating("upload", key):
                    future.result()

    def _resumed(self, item: PutItem, progress: Progress | None) -> bool:
        """Finish a killed run's upload of `item`, sending only the parts it lacks; False when
        there is none to finish."""
        chunk, key = self.transfer_config.multipart_chunksize, self._key(item.key)
        with self.translating("resume the upload of", item.key):
            unfinished = find_unfinished(self.client, self.config.bucket, key, item.path, chunk)
            if unfinished is None:
                return False
            sent = finish_upload(
                self.client,
                self.config.bucket,
                key,
                item.path,
                unfinished=unfinished,
                chunk=chunk,
                concurrency=self.config.max_concurrency,
                progress=progress or (lambda sent: None),
            )
        log.info(
            "resumed the upload of %s: %d part(s) were stored already, %d bytes sent",
            item.key,
            len(unfinished.kept),
            sent,
        )
        return True

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        with self.translating("write", key):
            self.client.put_object(
                Bucket=self.config.bucket,
                Key=self._key(key),
                Body=data,
                # as uploaded files carry theirs: `stat` then knows the bytes without a GET
                Metadata={ALGORITHM: data_digest(data)},
                **self._extra(content_type, cache_control),
            )

    def delete(self, key: str) -> None:
        with self.translating("delete", key):
            self.client.delete_object(Bucket=self.config.bucket, Key=self._key(key))

    def stat(self, key: str) -> ObjectInfo | None:
        head = self._head(key)
        if head is None:
            return None
        return ObjectInfo(int(head["ContentLength"]), head.get("Metadata", {}).get(ALGORITHM))

    def version(self, key: str) -> str | None:
        try:
            head = self._head(key)
        except StorageError:
            head = None
        if head is not None:
            return str(head["ETag"])
        # A HEAD's error has no body to say why: a missing object and a missing bucket, a
        # bad key and a bucket in another region look alike. A GET's says, and names the fix.
        # An object is missing once (before the first publish): it costs nothing after.
        found = self.get_versioned(key)
        return found[1] if found else None

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            with self.translating("check", key):
                head: dict[str, Any] = self.client.head_object(
                    Bucket=self.config.bucket, Key=self._key(key)
                )
                return head
        except Missing:
            return None

    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            with self.translating("read", key):
                response = self.client.get_object(Bucket=self.config.bucket, Key=self._key(key))
                return bytes(response["Body"].read()), str(response["ETag"])
        except Missing:
            return None

    def put_bytes_if(
        self, key: str, data: bytes, *, version: str | None, content_type: str, cache_control: str
    ) -> str:
        """A conditional PutObject: If-Match the ETag read, or If-None-Match `*` to create."""
        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}
        try:
            with self.translating("write", key):
                written = self.client.put_object(
                    Bucket=self.config.bucket,
                    Key=self._key(key),
                    Body=data,
                    Metadata={ALGORITHM: data_digest(data)},  # as `put_bytes` writes it
                    **condition,
                    **self._extra(content_type, cache_control),
                )
        except Missing as e:  # If-Match on an object deleted meanwhile
            raise ConflictError(f"{self._where(key)} was removed by another showpipe run") from e
        return str(written["ETag"])

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        sizes: dict[str, int] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.config.bucket, Prefix=self._key(prefix)
        )
        with self.translating("list", prefix or "/"):
            for page in pages:
                for found in page.get("Contents", []):
                    sizes[found["Key"][len(self.config.prefix) :]] = int(found["Size"])
        return sizes

    def incomplete_uploads(self) -> list[Incomplete]:
        found: list[Incomplete] = []
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.config.bucket, Prefix=self.config.prefix
        )
        with self.translating("list multipart uploads of", ""):
            for page in pages:
                found += [
                    Incomplete(
                        u["Key"][len(self.config.prefix) :],
                        u["UploadId"],
                        datetime.fromisoformat(u["Initiated"]),
                    )
                    for u in page.get("Uploads", [])
                ]
        return found

    def abort_upload(self, upload: Incomplete) -> None:
        with self.translating("abort the multipart upload of", upload.key):
            self.client.abort_multipart_upload(
                Bucket=self.config.bucket, Key=self._key(upload.key), UploadId=upload.upload_id
            )

    def preflight(self) -> list[tuple[str, str]]:
        """Credentials found, and the bucket reachable with them."""
        credentials = self.session.get_credentials()
        if credentials is None:
            raise NotReadyError(
                "credentials", "boto3 found no credentials", CREDENTIALS_FIX, passed=[]
            )
        passed = [("credentials", f"found by boto3 ({credentials.method})")]
        try:
            with self.translating("reach", ""):
                self.client.head_bucket(Bucket=self.config.bucket)
        except StorageError as e:
            problem, _, fix = str(e).partition("; ")
            raise NotReadyError("bucket", problem, fix, passed=passed) from e
        return [*passed, ("bucket", f"{self.config.bucket} at {self.endpoint}")]

    def public_read_policy(self) -> dict[str, Any]:
        from showpipe.storage.s3setup import policy_for

        return policy_for(self)

    def set_cors(self, origins: Sequence[str]) -> dict[str, Any]:
        """Let web players on `origins` fetch objects (with Range); returns the rules set."""
        rules = {"CORSRules": [{**CORS_RULE, "AllowedOrigins": list(origins)}]}
        with self.translating("set CORS rules of", ""):
            self.client.put_bucket_cors(Bucket=self.config.bucket, CORSConfiguration=rules)
        return rules

    def cors_allows(self, origin: str) -> bool:
        """Whether the bucket's CORS rules let a page on `origin` GET objects."""
        try:
            with self.translating("read CORS rules of", ""):
                rules = self.client.get_bucket_cors(Bucket=self.config.bucket)["CORSRules"]
        except StorageError as e:
            if "NoSuchCORSConfiguration" in str(e):
                return False
            raise
        return any(
            "GET" in rule.get("AllowedMethods", [])
            and {"*", origin} & set(rule.get("AllowedOrigins", []))
            for rule in rules
        )

    @contextmanager
    def translating(self, action: str, key: str) -> Iterator[None]:
        """Turn botocore's errors into one StorageError line: what, where, and the fix
        (s3errors.py); a missing object into `Missing`."""
        with translate_errors(action, key, where=self._where, checksum=self.config.checksum):
            yield

    def _where(self, key: str) -> str:
        path = self._key(key) if key else ""
        return f"s3://{self.config.bucket}/{path} (bucket {self.config.bucket!r}, endpoint " + (
            f"{self.endpoint})"
        )
