"""What botocore's errors mean to someone publishing a show: one StorageError line each.

Every error names the bucket, the key and the endpoint (never credentials an endpoint URL may
carry) and says what to do about it. `S3Storage.translating` wraps each request in
`translate_errors`, with the storage's own location and checksum setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import botocore.exceptions

from showpipe.errors import ConflictError, StorageError

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


class Missing(Exception):
    """The object asked for does not exist (S3Storage turns this into None)."""


@contextmanager
def translate_errors(
    action: str, key: str, *, where: Callable[[str], str], checksum: str
) -> Iterator[None]:
    """Turn botocore's errors into one StorageError line: what, where, and the fix.

    Args:
        action: what was being done, as a verb phrase ("upload", "read CORS rules of").
        key: the object's key, or "" for the bucket itself.
        where: the object's location for messages, given its key (called only on an error).
        checksum: the storage's checksum setting, which a rejected request may be due to.

    Raises:
        Missing: a key was given and the object does not exist.
        ConflictError: a conditional write lost to another run.
        StorageError: anything else botocore raised.
    """
    try:
        yield
    except botocore.exceptions.ClientError as e:
        error = e.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        if key and code in ("NoSuchKey", "404"):
            raise Missing from e
        if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            raise ConflictError(
                f"{where(key)} was changed by another showpipe run meanwhile"
            ) from e
        message = redact(str(error.get("Message") or ""))
        raise StorageError(
            explain(action, where(key), code=code, message=message, checksum=checksum)
        ) from e
    except botocore.exceptions.NoCredentialsError as e:
        raise StorageError(
            f"cannot {action} {where(key)}: boto3 found no credentials; " + CREDENTIALS_FIX
        ) from e
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ConnectionClosedError,
    ) as e:
        raise StorageError(
            f"cannot {action} {where(key)}: the endpoint does not answer; check "
            "endpoint_url (or AWS_ENDPOINT_URL_S3) and the network"
        ) from e
    except botocore.exceptions.BotoCoreError as e:
        raise StorageError(f"cannot {action} {where(key)}: {redact(str(e))}") from e


def explain(action: str, where: str, *, code: str, message: str, checksum: str) -> str:
    """The message for an S3 error code: what failed, where, and what to change."""
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
    if code in REJECTED_HEADERS and checksum != "when_required":
        return (
            f"cannot {action} {where}: the server rejected the request ({code}); it may "
            'not support CRC checksums: set checksum = "when_required"'
        )
    return f"cannot {action} {where}: the server answered {code}" + (
        f": {message}" if message else ""
    )


def redact(text: str) -> str:
    """`text` with the `user:password@` of every URL in it replaced by `***@`.

    An endpoint URL may carry credentials (some S3-compatible services and proxies take
    them there); messages and logs must never show them.
    """
    return _USERINFO.sub("://***@", text)


_USERINFO = re.compile(r"://[^/@\s]*@")
