"""Amazon S3 and S3-compatible services (R2, B2, MinIO, Spaces): the only boto3 importer.

Credentials come only from boto3's own chain (environment, ~/.aws, profiles); showpipe never
reads, stores or prints them. Every botocore error becomes a StorageError naming the bucket,
the key and the endpoint, with what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import botocore.session
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config
from s3transfer.subscribers import BaseSubscriber

from showpipe.digests import ALGORITHM
from showpipe.errors import ConfigError, ConflictError, StorageError
from showpipe.storage import Check, Incomplete, ObjectInfo, Progress, PutItem

MB = 1024 * 1024

# Values a setting may take; the first is the default.
CHOICES = {
    "addressing_style": ("auto", "path", "virtual"),
    # boto3 >= 1.36 sends CRC checksums on every upload by default ("when_supported"), which
    # several S3-compatible services reject; "when_required" sends them only where S3 demands.
    "checksum": ("when_required", "when_supported"),
    "retry_mode": ("standard", "adaptive"),
}

# What a web player needs: read media, chapters and transcripts from any page, with Range.
CORS_RULE: dict[str, Any] = {
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["*"],
    "ExposeHeaders": ["Accept-Ranges", "Content-Length", "Content-Range", "Content-Type", "ETag"],
    "MaxAgeSeconds": 86400,
}

DENIED = {
    "AccessDenied",
    "AllAccessDisabled",
    "ExpiredToken",
    "Forbidden",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "403",
}
WRONG_REGION = {
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
    "PermanentRedirect",
}
REJECTED_HEADERS = {"InvalidArgument", "InvalidRequest", "NotImplemented", "BadDigest"}
CREDENTIALS_FIX = (
    "check the credentials boto3 finds (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, "
    "AWS_PROFILE or the s3 profile setting, ~/.aws/credentials) and the bucket's policy"
)


@dataclass(frozen=True)
class S3Config:
    """Where and how to upload; `bucket` and `prefix` come from `storage = "s3://bucket/prefix"`.

    Unset endpoint, region and profile are left to boto3, which reads AWS_ENDPOINT_URL_S3,
    AWS_ENDPOINT_URL, AWS_REGION and AWS_PROFILE and ~/.aws/config as usual.
    """

    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    addressing_style: str = "auto"
    profile: str | None = None
    acl: str | None = None
    storage_class: str | None = None
    checksum: str = "when_required"
    retry_mode: str = "standard"
    max_attempts: int = 5
    multipart_chunksize_mb: int = 8
    max_concurrency: int = 10


SETTINGS = [f.name for f in fields(S3Config) if f.name not in ("bucket", "prefix")]


def _coerce(name: str, value: Any) -> Any:
    """A setting's value as S3Config wants it (environment variables arrive as text)."""
    default = S3Config.__dataclass_fields__[name].default
    where = (
        f"s3 setting {name} (showpipe.toml [s3], --s3-{name.replace('_', '-')} "
        f"or SHOWPIPE_S3_{name.upper()})"
    )
    if isinstance(default, int):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if number < 1 or isinstance(value, bool):
            raise ConfigError(f"{where}: {value!r} is not a positive whole number")
        return number
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {value!r} is not a text value")
    if name in CHOICES and value not in CHOICES[name]:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(CHOICES[name])}")
    return value


def load_s3_config(target: str, options: Mapping[str, Any]) -> S3Config:
    """The S3 configuration for `s3://bucket/prefix` plus the [s3] settings.

    Raises:
        ConfigError: the target has no bucket, or a setting is unknown or invalid.
    """
    parts = urlsplit(target)
    if not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"storage {target!r}: expected s3://bucket or s3://bucket/prefix")
    unknown = sorted(set(options) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"[s3]: unknown setting(s) {', '.join(unknown)}; known: {SETTINGS}")
    prefix = parts.path.strip("/")
    values = {name: _coerce(name, value) for name, value in options.items()}
    return S3Config(bucket=parts.netloc, prefix=prefix + "/" if prefix else "", **values)


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
        core = botocore.session.Session()
        # Timestamps stay text: parsing each listed object's LastModified into a datetime
        # was most of a listing's CPU time, and only an unfinished upload's start is used.
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
        try:
            self.session = boto3.Session(
                botocore_session=core, profile_name=config.profile, region_name=config.region
            )
        except botocore.exceptions.ProfileNotFound as e:
            raise ConfigError(
                f"AWS profile {config.profile!r} is not in ~/.aws/config or ~/.aws/credentials"
            ) from e
        self.client = self.session.client(
            "s3",
            endpoint_url=config.endpoint_url,
            config=Config(
                s3={"addressing_style": config.addressing_style},
                retries={"mode": config.retry_mode, "max_attempts": config.max_attempts},
                request_checksum_calculation=config.checksum,
                response_checksum_validation=config.checksum,
                max_pool_connections=config.max_concurrency + 2,
                connect_timeout=10,
            ),
        )
        chunk = config.multipart_chunksize_mb * MB
        # Files are read part by part, so memory stays near chunk size x concurrency.
        self.transfer_config = TransferConfig(
            multipart_threshold=chunk,
            multipart_chunksize=chunk,
            max_concurrency=config.max_concurrency,
            use_threads=True,
        )

    @property
    def endpoint(self) -> str:
        return str(self.client.meta.endpoint_url)

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
            with self._translating("read", key):
                response = self.client.get_object(Bucket=self.config.bucket, Key=self._key(key))
                return bytes(response["Body"].read())
        except _Missing:
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
            with self._translating("upload", item.key):
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
        """Large files through s3transfer: concurrent multipart parts, read as they go."""
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
                with self._translating("upload", key):
                    future.result()

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        with self._translating("write", key):
            self.client.put_object(
                Bucket=self.config.bucket,
                Key=self._key(key),
                Body=data,
                **self._extra(content_type, cache_control),
            )

    def delete(self, key: str) -> None:
        with self._translating("delete", key):
            self.client.delete_object(Bucket=self.config.bucket, Key=self._key(key))

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            with self._translating("check", key):
                head = self.client.head_object(Bucket=self.config.bucket, Key=self._key(key))
        except _Missing:
            return None
        return ObjectInfo(int(head["ContentLength"]), head.get("Metadata", {}).get(ALGORITHM))

    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            with self._translating("read", key):
                response = self.client.get_object(Bucket=self.config.bucket, Key=self._key(key))
                return bytes(response["Body"].read()), str(response["ETag"])
        except _Missing:
            return None

    def put_bytes_if(
        self, key: str, data: bytes, *, version: str | None, content_type: str, cache_control: str
    ) -> None:
        """A conditional PutObject: If-Match the ETag read, or If-None-Match `*` to create."""
        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}
        try:
            with self._translating("write", key):
                self.client.put_object(
                    Bucket=self.config.bucket,
                    Key=self._key(key),
                    Body=data,
                    **condition,
                    **self._extra(content_type, cache_control),
                )
        except _Missing as e:  # If-Match on an object deleted meanwhile
            raise ConflictError(f"{self._where(key)} was removed by another showpipe run") from e

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        sizes: dict[str, int] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.config.bucket, Prefix=self._key(prefix)
        )
        with self._translating("list", prefix or "/"):
            for page in pages:
                for found in page.get("Contents", []):
                    sizes[found["Key"][len(self.config.prefix) :]] = int(found["Size"])
        return sizes

    def incomplete_uploads(self) -> list[Incomplete]:
        found: list[Incomplete] = []
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.config.bucket, Prefix=self.config.prefix
        )
        with self._translating("list multipart uploads of", ""):
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
        with self._translating("abort the multipart upload of", upload.key):
            self.client.abort_multipart_upload(
                Bucket=self.config.bucket, Key=self._key(upload.key), UploadId=upload.upload_id
            )

    def preflight(self) -> list[Check]:
        """Credentials found, and the bucket reachable with them."""
        credentials = self.session.get_credentials()
        if credentials is None:
            return [Check("credentials", False, "boto3 found no credentials", CREDENTIALS_FIX)]
        checks = [Check("credentials", True, f"found by boto3 ({credentials.method})")]
        try:
            with self._translating("reach", ""):
                self.client.head_bucket(Bucket=self.config.bucket)
        except StorageError as e:
            problem, _, fix = str(e).partition("; ")
            return [*checks, Check("bucket", False, problem, fix)]
        return [*checks, Check("bucket", True, f"{self.config.bucket} at {self.endpoint}")]

    def set_cors(self, origins: Sequence[str]) -> dict[str, Any]:
        """Let web players on `origins` fetch objects (with Range); returns the rules set."""
        rules = {"CORSRules": [{**CORS_RULE, "AllowedOrigins": list(origins)}]}
        with self._translating("set CORS rules of", ""):
            self.client.put_bucket_cors(Bucket=self.config.bucket, CORSConfiguration=rules)
        return rules

    def cors_allows(self, origin: str) -> bool:
        """Whether the bucket's CORS rules let a page on `origin` GET objects."""
        try:
            with self._translating("read CORS rules of", ""):
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
    def _translating(self, action: str, key: str) -> Iterator[None]:
        """Turn botocore's errors into one StorageError line: what, where, and the fix."""
        try:
            yield
        except botocore.exceptions.ClientError as e:
            error = e.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            if key and code in ("NoSuchKey", "404"):
                raise _Missing from e
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise ConflictError(
                    f"{self._where(key)} was changed by another showpipe run meanwhile"
                ) from e
            message = str(error.get("Message") or "")
            raise StorageError(self._explain(action, key, code, message)) from e
        except botocore.exceptions.NoCredentialsError as e:
            raise StorageError(
                f"cannot {action} {self._where(key)}: boto3 found no credentials; "
                + CREDENTIALS_FIX
            ) from e
        except (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ConnectionClosedError,
        ) as e:
            raise StorageError(
                f"cannot {action} {self._where(key)}: the endpoint does not answer; check "
                "endpoint_url (or AWS_ENDPOINT_URL_S3) and the network"
            ) from e
        except botocore.exceptions.BotoCoreError as e:
            raise StorageError(f"cannot {action} {self._where(key)}: {e}") from e

    def _where(self, key: str) -> str:
        path = self._key(key) if key else ""
        return f"s3://{self.config.bucket}/{path} (bucket {self.config.bucket!r}, endpoint " + (
            f"{self.endpoint})"
        )

    def _explain(self, action: str, key: str, code: str, message: str) -> str:
        where = self._where(key)
        if code in ("NoSuchBucket", "404"):
            return (
                f"cannot {action} {where}: the bucket does not exist there; create it, or fix "
                "the bucket in the storage setting or the endpoint"
            )
        if code in DENIED:
            # The server's message is left out: some echo request details.
            return f"cannot {action} {where}: access denied ({code}); {CREDENTIALS_FIX}"
        if code in WRONG_REGION:
            return (
                f"cannot {action} {where}: the bucket is in another region ({code}); set "
                "region (--s3-region, SHOWPIPE_S3_REGION or [s3] region in showpipe.toml)"
            )
        if code in REJECTED_HEADERS and self.config.checksum != "when_required":
            return (
                f"cannot {action} {where}: the server rejected the request ({code}); it may "
                'not support CRC checksums: set checksum = "when_required"'
            )
        return f"cannot {action} {where}: the server answered {code}" + (
            f": {message}" if message else ""
        )


class _Missing(Exception):
    """Internal: the object asked for does not exist."""
