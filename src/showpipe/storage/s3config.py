"""S3 settings, and the boto3 session, client and transfer settings they make.

`storage = "s3://bucket/prefix"` names the bucket; the [s3] settings (showpipe.toml,
`--s3-*` flags, `SHOWPIPE_S3_*` variables) say how to reach it: endpoint, region, profile,
addressing, checksums, retries, part size and concurrency. S3-compatible services (R2, B2,
MinIO, Spaces) differ mostly here. Credentials come only from boto3's own chain (environment,
~/.aws, profiles); showpipe never reads, stores or prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from showpipe.errors import ConfigError
from showpipe.storage.s3errors import redact

MB = 1024 * 1024

# Values a setting may take; the first is the default.
CHOICES = {
    "addressing_style": ("auto", "path", "virtual"),
    # boto3 >= 1.36 sends CRC checksums on every upload by default ("when_supported"), which
    # several S3-compatible services reject; "when_required" sends them only where S3 demands.
    "checksum": ("when_required", "when_supported"),
    "retry_mode": ("standard", "adaptive"),
}


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


def make_session(config: S3Config) -> boto3.Session:
    """A boto3 session with the configured profile and region.

    Raises:
        ConfigError: the profile is in neither ~/.aws/config nor ~/.aws/credentials.
    """
    core = botocore.session.Session()
    # Timestamps stay text: parsing each listed object's LastModified into a datetime
    # was most of a listing's CPU time, and only an unfinished upload's start is used.
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
    try:
        return boto3.Session(
            botocore_session=core, profile_name=config.profile, region_name=config.region
        )
    except botocore.exceptions.ProfileNotFound as e:
        raise ConfigError(
            f"AWS profile {config.profile!r} is not in ~/.aws/config or ~/.aws/credentials"
        ) from e


def make_client(session: boto3.Session, config: S3Config) -> Any:
    """The session's S3 client, with the configured endpoint, addressing, checksums and retries.

    Raises:
        ConfigError: the endpoint URL is not a URL.
    """
    try:
        return session.client(
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
    except ValueError as e:  # botocore: "Invalid endpoint: <the URL>"
        raise ConfigError(
            f"s3 setting endpoint_url {redact(str(config.endpoint_url))!r} is not a valid "
            f"URL ({redact(str(e))}); give it as https://host[:port]"
        ) from e


def make_transfer_config(config: S3Config) -> TransferConfig:
    """s3transfer's settings: files at or over one part's size go up in concurrent parts."""
    chunk = config.multipart_chunksize_mb * MB
    # Files are read part by part, so memory stays near chunk size x concurrency.
    return TransferConfig(
        multipart_threshold=chunk,
        multipart_chunksize=chunk,
        max_concurrency=config.max_concurrency,
        use_threads=True,
    )
