"""`showpipe doctor` and `showpipe storage cors` against a real S3 server process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from click.testing import Result

from s3server import S3Server

Run = Callable[..., Result]


def lines(result: Result) -> dict[str, str]:
    """The doctor's verdict per check: {"bucket": "ok", "cors": "FAIL", …}."""
    found = {}
    for line in result.stdout.splitlines():
        verdict, _, rest = line.partition("  ")
        if verdict.strip() in ("ok", "FAIL"):
            found[rest.split(":")[0].strip()] = verdict.strip()
    return found


def test_doctor_passes_after_storage_cors_and_leaves_no_probe(
    run: Run, s3_env: str, s3_server: S3Server, s3_bucket: str
) -> None:
    before = run("doctor")
    assert before.exit_code == 1
    assert lines(before) == {
        "credentials": "ok",
        "bucket": "ok",
        "write": "ok",
        "public read": "ok",
        "range": "ok",
        # moto's server answers every preflight; S3 itself refuses them without rules
        "cors": "ok",
        "bucket cors": "FAIL",
        "delete": "ok",
    }
    assert "fix: run `showpipe storage cors`" in before.stdout
    assert before.stderr == "Error: 1 check(s) failed: bucket cors\n"

    result = run("storage", "cors")
    assert result.exit_code == 0, result.output
    assert "allow GET, HEAD from *" in result.stdout
    [rule] = s3_server.client().get_bucket_cors(Bucket=s3_bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"] and "Content-Range" in rule["ExposeHeaders"]

    after = run("doctor")
    assert after.exit_code == 0, after.output
    assert set(lines(after).values()) == {"ok"} and len(lines(after)) == 8
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


def test_storage_cors_lets_a_web_player_fetch_a_range(
    run: Run, s3_env: str, s3_server: S3Server
) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    assert run("storage", "cors", "--origin", "https://player.example").exit_code == 0
    url = f"{s3_env}feeds/show.xml"
    preflight = requests.options(
        url,
        headers={
            "Origin": "https://player.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
        timeout=10,
    )
    assert preflight.ok
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://player.example"


def test_doctor_names_a_private_bucket_and_the_fix(
    run: Run, s3_env: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_server.client().create_bucket(Bucket="doctor-private")
    monkeypatch.setenv("SHOWPIPE_STORAGE", "s3://doctor-private/show")
    monkeypatch.setenv("SHOWPIPE_PUBLIC_URL", f"{s3_server.endpoint}/doctor-private/show/")
    result = run("doctor")
    assert result.exit_code == 1
    assert lines(result)["public read"] == "FAIL"
    assert "answered 403" in result.stdout
    assert "fix: make the objects publicly readable" in result.stdout
    assert s3_server.client().list_objects_v2(Bucket="doctor-private")["KeyCount"] == 0


def test_doctor_on_a_missing_bucket_stops_at_the_bucket(
    run: Run, s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWPIPE_STORAGE", "s3://doctor-missing/show")
    result = run("doctor")
    assert result.exit_code == 1
    assert lines(result) == {"credentials": "ok", "bucket": "FAIL"}
    assert "the bucket does not exist there" in result.stdout
    assert "fix: create it" in result.stdout


def test_storage_cors_refuses_a_local_folder(run: Run, project: Path) -> None:
    result = run("storage", "cors")
    assert result.exit_code == 1
    assert "is a local folder" in result.stderr


def test_doctor_checks_a_local_folder_served_by_showpipe_serve(
    run: Run, project: Path, http_server: Callable[..., str]
) -> None:
    folder = project / "public"
    folder.mkdir()
    result = run("--public-url", http_server(folder), "doctor")
    assert result.exit_code == 0, result.output
    assert lines(result) == dict.fromkeys(
        ["folder", "write", "public read", "range", "cors", "delete"], "ok"
    )
    assert list(folder.rglob("*.txt")) == []
