"""Making a bucket ready for podcast apps: create it, and let anyone read the show's objects.

Podcast apps fetch media without credentials, so the objects under the prefix must be
publicly readable. A bucket policy does that on AWS and on most S3-compatible services
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html);
some providers have no bucket policies and make a bucket public in their console instead.
"""

from __future__ import annotations

import json
from typing import Any

from showpipe.errors import StorageError
from showpipe.storage.s3 import S3Storage


def public_read_policy(bucket: str, prefix: str) -> dict[str, Any]:
    """A bucket policy letting anyone GET the objects under `prefix` (and nothing else)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ShowpipePublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            }
        ],
    }


def policy_for(storage: S3Storage) -> dict[str, Any]:
    """The public-read policy for the storage's configured bucket and prefix."""
    return public_read_policy(storage.config.bucket, storage.config.prefix)


def ensure_bucket(storage: S3Storage) -> bool:
    """Create the storage's bucket unless it exists; True when it was created.

    Raises:
        StorageError: the bucket could not be reached or created.
    """
    client, bucket = storage.client, storage.config.bucket
    try:
        with storage.translating("reach", ""):
            client.head_bucket(Bucket=bucket)
        return False
    except StorageError as e:
        if "does not exist" not in str(e):
            raise
    region = client.meta.region_name
    # us-east-1 is S3's default location and must not be named (the API refuses it).
    where = {} if region in (None, "us-east-1") else {"LocationConstraint": region}
    with storage.translating("create the bucket", ""):
        if where:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
        else:
            client.create_bucket(Bucket=bucket)
    return True


def set_public_read(storage: S3Storage) -> dict[str, Any]:
    """Put the public-read policy on the bucket; return it.

    Raises:
        StorageError: the provider refused it (no bucket policies, or Block Public Access).
    """
    policy = policy_for(storage)
    with storage.translating("set the bucket policy of", ""):
        storage.client.put_bucket_policy(Bucket=storage.config.bucket, Policy=json.dumps(policy))
    return policy
