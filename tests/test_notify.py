"""Notifying podcast apps of a changed feed: WebSub, Podping and pubnotify, on a real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import Result
from lxml import etree

Calls = list[tuple[str, str, dict[str, list[str]], str]]


@pytest.fixture
def hub(http_server: Callable[..., str]) -> tuple[str, Calls]:
    """A stand-in for hubs and ping services: records each request; /broken answers 500."""
    calls: Calls = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        query = parse_qs(environ.get("QUERY_STRING", "")) | parse_qs(body)
        calls.append(
            (
                environ["REQUEST_METHOD"],
                environ["PATH_INFO"],
                query,
                environ.get("HTTP_AUTHORIZATION", ""),
            )
        )
        status = (
            "500 Internal Server Error" if environ["PATH_INFO"] == "/broken" else "204 No Content"
        )
        start_response(status, [])
        return [b""]

    return http_server(app=app), calls


def configure(project: Path, notify: str) -> None:
    path = project / "feeds" / "show.yaml"
    path.write_text(path.read_text() + notify)


def test_publish_notifies_websub_hubs_podping_and_the_podcast_index(
    run: Callable[..., Result],
    project: Path,
    hub: tuple[str, Calls],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, calls = hub
    configure(
        project, f"notify:\n  websub: ['{base}hub']\n  podping: true\n  podcast_index: true\n"
    )
    monkeypatch.setenv("SHOWPIPE_PODPING_URL", base + "podping")
    monkeypatch.setenv("SHOWPIPE_PODPING_TOKEN", "podping-token-1")
    monkeypatch.setenv("SHOWPIPE_PUBNOTIFY_URL", base + "pubnotify")
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 0 and result.stderr == ""
    feed_url = "http://localhost:8000/feeds/show.xml"
    assert calls == [
        ("POST", "/hub", {"hub.mode": ["publish"], "hub.url": [feed_url]}, ""),
        (
            "GET",
            "/podping",
            {"url": [feed_url], "reason": ["update"], "medium": ["podcast"]},
            "podping-token-1",
        ),
        ("GET", "/pubnotify", {"url": [feed_url]}, ""),
    ]
    channel = etree.parse(project / "public" / "feeds" / "show.xml").getroot().find("channel")
    hubs = channel.findall("{http://www.w3.org/2005/Atom}link[@rel='hub']")
    assert [h.get("href") for h in hubs] == [base + "hub"]
    # nothing changed, nobody is bothered
    calls.clear()
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    assert calls == []


def test_a_failing_hub_warns_and_the_publish_still_succeeds(
    run: Callable[..., Result], project: Path, hub: tuple[str, Calls]
) -> None:
    base, calls = hub
    configure(project, f"notify:\n  websub: ['{base}broken']\n  podping: true\n")
    result = run("publish", "episodes/pilot.yaml")
    assert result.exit_code == 0
    assert f"Warning: {base}broken: not notified (HTTP 500)" in result.stderr
    assert "Warning: Podping: set SHOWPIPE_PODPING_TOKEN to notify it" in result.stderr
    assert (project / "public" / "feeds" / "show.xml").is_file()
    assert [c[1] for c in calls] == ["/broken"]
