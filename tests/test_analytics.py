"""`analytics_prefix`: enclosures go through a measurement redirect, and `verify` follows it."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from werkzeug.utils import redirect
from werkzeug.wrappers import Request

from sampleshow import publish_sample
from showpipe.checks.verify import verify_show
from showpipe.config import Settings
from showpipe.errors import ValidationError
from showpipe.feeds.analytics import tracked_url
from showpipe.model.loading import load_feed


class Tracker:
    """A measurement service on loopback: counts each request, then redirects to the file.

    `/e/<url>` is OP3's form (the whole URL), `/redirect.mp3/<host/path>` Podtrac's (no
    scheme; this one answers with http, as the test's file server speaks it), `/bad/…` a
    misconfigured one that lands on the wrong file.
    """

    def __init__(self) -> None:
        self.counted: list[str] = []
        self.base = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.full_path.rstrip("?")
        self.counted.append(path)
        if path.startswith("/e/"):
            target = path.removeprefix("/e/")
        elif path.startswith("/redirect.mp3/"):
            target = "http://" + path.removeprefix("/redirect.mp3/")
        elif path.startswith("/hop/"):  # a second service in the chain
            target = self.base + "redirect.mp3/" + path.removeprefix("/hop/")
        else:
            target = "http://" + path.removeprefix("/bad/").rsplit("/", 1)[0] + "/other.mp3"
        return redirect(target, 302)(environ, start_response)


def publish_with_prefix(settings: Settings, served: str, prefix: str) -> list[str]:
    show = settings.feeds_dir / "show.yaml"
    show.write_text(show.read_text() + f"analytics_prefix: {prefix}\n")
    publish_sample(replace(settings, public_url=served))
    return [served + "feeds/show.xml"]


@pytest.fixture
def tracker(http_server: Callable[..., str]) -> Tracker:
    tracking = Tracker()
    tracking.base = http_server(app=tracking)
    return tracking


@pytest.mark.parametrize("form", ["redirect.mp3/", "e/{url}", "hop/"])
def test_enclosures_go_through_the_prefix_and_verify_follows_it(
    settings: Settings,
    http_server: Callable[..., str],
    tracker: Tracker,
    form: str,
) -> None:
    served = http_server(settings.root / "public")
    urls = publish_with_prefix(settings, served, tracker.base + form)
    xml = (settings.root / "public" / "feeds" / "show.xml").read_bytes()
    parsed = podcastparser.parse(urls[0], io.BytesIO(xml))
    enclosures = [e["url"] for item in parsed["episodes"] for e in item["enclosures"]]
    assert enclosures and all(
        url.startswith(tracker.base + form.split("{")[0]) for url in enclosures
    )
    # Only enclosures are counted: artwork, chapters and transcripts stay direct.
    assert xml.count(tracker.base.encode()) == len(enclosures)
    problems, _ = verify_show(urls)
    assert problems == []
    # verify fetched each enclosure through the service, and reached the file.
    assert len([p for p in tracker.counted if p.endswith(".mp3")]) >= len(enclosures)


def test_verify_names_a_redirect_that_lands_on_the_wrong_file(
    settings: Settings,
    http_server: Callable[..., str],
    tracker: Tracker,
) -> None:
    served = http_server(settings.root / "public")
    urls = publish_with_prefix(settings, served, tracker.base + "bad/")
    problems, _ = verify_show(urls)
    text = "\n".join(problems)
    assert "missing (HTTP 404)" in text
    assert "the redirects end at " in text and "other.mp3, not at the file the URL names" in text
    assert f"(redirected: {tracker.base}bad/" in text


@pytest.mark.parametrize(
    ("prefix", "url", "expected"),
    [
        (None, "https://cdn.example/a.mp3", "https://cdn.example/a.mp3"),
        ("https://op3.dev/e/", "https://cdn.example/a.mp3", "https://op3.dev/e/cdn.example/a.mp3"),
        (
            "https://op3.dev/e/{url}",
            "https://cdn.example/a.mp3",
            "https://op3.dev/e/https://cdn.example/a.mp3",
        ),
        (
            "https://dts.podtrac.com/redirect.mp3/",
            "https://cdn.example/a.mp3",
            "https://dts.podtrac.com/redirect.mp3/cdn.example/a.mp3",
        ),
        (
            "https://chrt.fm/track/ABC123/",
            "http://x.example/b.m4a",
            "https://chrt.fm/track/ABC123/x.example/b.m4a",
        ),
    ],
)
def test_the_common_prefix_forms(prefix: str | None, url: str, expected: str) -> None:
    assert tracked_url(url, prefix) == expected


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("https://dts.podtrac.com/redirect.mp3", "must end with / (the file's URL follows it)"),
        ("op3.dev/e/", "is not an http(s) URL"),
    ],
)
def test_a_prefix_the_url_cannot_follow_is_refused(
    project: Path, prefix: str, message: str
) -> None:
    show = project / "feeds" / "show.yaml"
    show.write_text(show.read_text() + f"analytics_prefix: {prefix}\n")
    with pytest.raises(ValidationError) as raised:
        load_feed(show)
    [problem] = raised.value.problems
    assert problem.startswith("feeds/show.yaml:") or "show.yaml:" in problem
    assert f"analytics_prefix: '{prefix}' {message}" in problem
