"""`doctor`, `storage cors` and `storage setup` agree, against a real S3 server process."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from click.testing import Result

from s3server import S3Server
from test_doctor import lines

Run = Callable[..., Result]


def use_bucket(monkeypatch: pytest.MonkeyPatch, server: S3Server, bucket: str) -> str:
    public_url = f"{server.endpoint}/{bucket}/show/"
    monkeypatch.setenv("SHOWPIPE_STORAGE", f"s3://{bucket}/show")
    monkeypatch.setenv("SHOWPIPE_PUBLIC_URL", public_url)
    return public_url


def printed_policy(stdout: str) -> dict[str, object]:
    """The JSON bucket policy a fix printed (indented under `fix:`)."""
    start = stdout.index("      {")
    text, depth = "", 0
    for line in stdout[start:].splitlines():
        text += line + "\n"
        depth += line.count("{") - line.count("}")
        if depth == 0:
            break
    policy: dict[str, object] = json.loads(text)
    return policy


def test_a_403_preflight_is_named_and_not_sent_back_to_storage_cors(
    run: Run, s3_env: str, s3_server: S3Server, s3_bucket: str
) -> None:
    # Public GETs but no public preflights: moto checks the policy for OPTIONS requests, as
    # a CDN or proxy that refuses them would behave.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{s3_bucket}/*",
            }
        ],
    }
    s3_server.client().put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps(policy))
    assert run("storage", "cors").exit_code == 0
    result = run("doctor")
    assert result.exit_code == 1
    assert lines(result)["bucket cors"] == "ok" and lines(result)["cors"] == "FAIL"
    assert "answered the CORS preflight (OPTIONS from https://player.example) with 403" in (
        result.stdout
    )
    # The loop of the issue: `ok bucket cors` beside "run showpipe storage cors".
    assert "run `showpipe storage cors`" not in result.stdout
    assert "the bucket's CORS rules already allow this page" in result.stdout


def test_a_private_bucket_gets_a_policy_for_its_bucket_and_prefix_that_works(
    run: Run, s3_env: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    private_bucket = "policy-private"  # s3_env's own bucket is public already
    s3_server.client().create_bucket(Bucket=private_bucket)
    use_bucket(monkeypatch, s3_server, private_bucket)
    result = run("doctor")
    assert lines(result)["public read"] == "FAIL"
    policy = printed_policy(result.stdout)
    [statement] = policy["Statement"]  # type: ignore[misc]
    assert statement["Resource"] == f"arn:aws:s3:::{private_bucket}/show/*"
    # Applied as printed, the policy makes the public read pass.
    s3_server.client().put_bucket_policy(Bucket=private_bucket, Policy=json.dumps(policy))
    assert lines(run("doctor"))["public read"] == "ok"


def test_storage_setup_makes_a_new_bucket_ready(
    run: Run, s3_env: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    public_url = use_bucket(monkeypatch, s3_server, "setup-new-bucket")
    result = run("storage", "setup")
    assert result.exit_code == 0, result.output
    assert lines(result) == {"bucket": "ok", "cors": "ok", "public read": "ok"}
    assert "created setup-new-bucket" in result.stdout
    client = s3_server.client()
    [rule] = client.get_bucket_cors(Bucket="setup-new-bucket")["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"]
    policy = json.loads(client.get_bucket_policy(Bucket="setup-new-bucket")["Policy"])
    assert policy["Statement"][0]["Resource"] == "arn:aws:s3:::setup-new-bucket/show/*"
    # The show publishes, and a podcast app reads it without credentials.
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    assert requests.get(f"{public_url}feeds/show.xml", timeout=10).status_code == 200
    # Outside the prefix, nothing is public.
    client.put_object(Bucket="setup-new-bucket", Key="private/notes.txt", Body=b"x")
    private = f"{s3_server.endpoint}/setup-new-bucket/private/notes.txt"
    assert requests.get(private, timeout=10).status_code == 403
    # A second run finds everything in place.
    again = run("storage", "setup")
    assert again.exit_code == 0 and "setup-new-bucket exists" in again.stdout
    doctor = run("doctor")
    assert {k: v for k, v in lines(doctor).items() if k != "cors"} == dict.fromkeys(
        ["credentials", "bucket", "write", "public read", "range", "bucket cors", "delete"], "ok"
    )


def test_storage_setup_says_what_to_do_where_the_server_refuses(
    run: Run, strict_s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", strict_s3_server.endpoint)
    monkeypatch.setenv("SHOWPIPE_S3_ADDRESSING_STYLE", "path")
    use_bucket(monkeypatch, strict_s3_server, "refused-bucket")
    result = run("storage", "setup")
    assert result.exit_code == 1
    assert lines(result) == {"bucket": "FAIL"}
    assert "access denied" in result.stdout and "Traceback" not in result.output


def test_storage_setup_refuses_a_local_folder(run: Run) -> None:
    result = run("storage", "setup")
    assert result.exit_code == 1 and "is a local folder" in result.stderr
