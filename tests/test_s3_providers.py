"""What S3-compatible services answer differently from AWS, emulated in front of the real
S3 test server by tests/faultproxy.py: botocore reads the same error responses they send."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from faultproxy import FaultProxy
from s3server import S3Server

Run = Callable[..., Result]
CHECKSUM_HEADERS = r"^x-amz-(sdk-)?checksum-"


@pytest.fixture
def strict_provider(
    s3_env: str, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> FaultProxy:
    """A service that refuses every request carrying CRC checksum headers, as B2 did."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.endpoint)
    for method in ("PUT", "POST"):
        fault_proxy.add(method, "/", "reject-checksum", times=10_000, header=CHECKSUM_HEADERS)
    return fault_proxy


def test_the_default_checksum_setting_publishes_to_a_service_without_crc_support(
    run: Run, strict_provider: FaultProxy
) -> None:
    result = run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml")
    assert result.exit_code == 0, result.output
    uploads = [r for r in strict_provider.requests if r[0] == "PUT"]
    assert uploads and all(outcome == "forward" for _, _, outcome in uploads)


def test_crc_checksums_on_such_a_service_fail_in_one_line_naming_the_fix(
    run: Run,
    strict_provider: FaultProxy,
    s3_server: S3Server,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOWPIPE_S3_CHECKSUM", "when_supported")
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "rejected the request (InvalidArgument)" in result.stderr
    assert 'set checksum = "when_required"' in result.stderr
    assert any(outcome == "reject-checksum" for _, _, outcome in strict_provider.requests)
    assert not any(k.startswith("show/feeds/") for k in s3_server.keys(s3_bucket))


def test_a_bucket_in_another_region_fails_in_one_line_naming_the_setting(
    run: Run,
    s3_env: str,
    fault_proxy: FaultProxy,
    s3_server: S3Server,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.endpoint)
    for method in ("GET", "HEAD", "PUT", "POST"):
        fault_proxy.add(method, "/", "wrong-region", times=10_000)
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "the bucket is in another region (AuthorizationHeaderMalformed)" in result.stderr
    assert "SHOWPIPE_S3_REGION" in result.stderr and "Traceback" not in result.output
    assert not any(k.startswith("show/") for k in s3_server.keys(s3_bucket))
