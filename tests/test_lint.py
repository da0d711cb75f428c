"""`showpipe check` lints built feeds against docs/feed-rules.md: errors fail, warnings do not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import Result

import showpipe.feeds.lint
from sampleshow import NOW, publish_sample
from showpipe.config import Settings
from showpipe.feeds.lint import is_public, lint_feed
from showpipe.model.project import load_project
from showpipe.publishing.plan import plan_feeds_only

Run = Callable[..., Result]

GOOD_CHANNEL = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>
<title>T</title><description>D</description><language>en</language>
<atom:link href="https://example.com/feeds/t.xml" rel="self"/>
<itunes:image href="https://example.com/art.jpg"/>
<itunes:category text="Technology"/><itunes:explicit>false</itunes:explicit>
<podcast:guid>{guid}</podcast:guid>
{items}
</channel></rss>"""


def item(guid: str, url: str, *, kind: str = "audio/mpeg", duration: str = "60") -> str:
    return (
        f"<item><title>E {guid}</title><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>Mon, 02 Nov 2026 09:00:00 +0100</pubDate>"
        f"<enclosure url='{url}' length='10' type='{kind}'/>"
        f"<itunes:duration>{duration}</itunes:duration></item>"
    )


def lint(
    items: str = "", guid: str = "a4a59d0d-b4d5-5ea2-bc11-c6b2bc9e3fd6", **swap: str
) -> list[str]:
    xml = GOOD_CHANNEL.format(guid=guid, items=items)
    for old, new in swap.items():
        xml = xml.replace(old.replace("_", " "), new)
    return [str(f) for f in lint_feed("t", xml.encode(), public=True)]


def test_a_good_feed_has_no_findings() -> None:
    from showpipe.feeds import podcast_guid

    guid = podcast_guid("https://example.com/feeds/t.xml")
    assert lint(item("g1", "https://example.com/1.mp3"), guid=guid) == []


def test_each_rule_reports_its_problem() -> None:
    findings = lint(
        item("g1", "https://example.com/1.mp3")
        + item("g1", "https://example.com/1.mp3")
        + item("g2", "http://example.com/2.ogg", kind="audio/ogg", duration="0"),
        **{
            '<itunes:image_href="https://example.com/art.jpg"/>': "",
            'text="Technology"': 'text="Tech"',
        },
    )
    text = "\n".join(findings)
    assert "feeds/t.xml: error: no artwork (itunes:image href)" in findings
    assert "error: category 'Tech' is not on Apple's list" in text
    assert "item 'E g1': error: GUID g1 is used by 2 items" in text
    assert "error: enclosure URL https://example.com/1.mp3 is used by another item" in text
    assert "item 'E g2': error: enclosure type 'audio/ogg' is not accepted by Apple" in text
    assert "item 'E g2': warning: episode without duration" in text
    assert "error: 1 URL(s) use http, not https, in a public feed" in text
    assert "warning: podcast:guid is not the UUIDv5 of this feed's URL" in text
    # errors come first
    severities = [f.split(": ")[-2].rsplit(" ", 1)[-1] for f in findings]
    assert severities == sorted(severities)


def test_podcast_tags_are_checked_against_the_xsd() -> None:
    findings = lint('<podcast:locked owner="a@b.c">maybe</podcast:locked>')
    assert any("podcast:locked:" in f and "'maybe'" in f for f in findings)


def test_a_misspelt_namespace_is_an_error() -> None:
    findings = lint(
        **{"https://podcastindex.org/namespace/1.0": "https://PodcastIndex.org/namespace/1.0"}
    )
    assert any(
        "namespace podcast is 'https://PodcastIndex.org/namespace/1.0'" in f for f in findings
    )


def test_local_urls_are_not_public() -> None:
    assert not is_public("http://localhost:8000/")
    assert not is_public("http://127.0.0.1/x")
    assert is_public("https://cdn.example.com/")


def test_check_lints_the_published_sample(run: Run, project: Path) -> None:
    assert run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml").exit_code == 0
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("ok: 2 feed(s), 3 episode(s)\n")


def test_check_fails_on_errors_and_names_them(run: Run, project: Path) -> None:
    assert run("publish", "episodes/pilot.yaml").exit_code == 0
    result = run("--public-url", "http://podcast.example.com/", "check")
    # moving the public URL changes podcast:guid, which is refused before linting
    assert result.exit_code == 1
    assert "podcast:guid would change" in result.stderr
    (project / "public").rename(project / "old-public")
    result = run("--public-url", "http://podcast.example.com/", "check")
    assert result.exit_code == 1
    assert "feeds/show.xml: error:" in result.stderr
    assert "use http, not https, in a public feed" in result.stderr


def test_check_reports_artwork_that_is_not_square(run: Run, project: Path) -> None:
    from mediafactory import make_poster

    make_poster(project / "feeds" / "artwork" / "show.jpg", (1600, 900))
    result = run("check")
    assert result.exit_code == 1
    assert "feeds/artwork/show.jpg: artwork must be square, not 1600x900" in result.stderr


def test_a_title_repeating_the_show_name_is_a_warning() -> None:
    findings = lint(item("g1", "https://example.com/1.mp3").replace("<title>E g1", "<title>T: E1"))
    assert any("the title repeats the show's name" in f for f in findings)
    # a word inside another is not the show's name
    assert not any(
        "repeats" in f
        for f in lint(
            item("g2", "https://example.com/2.mp3").replace("<title>E g2", "<title>Trust")
        )
    )


def _never(*args: object) -> NoReturn:
    raise AssertionError("linted again")


def test_items_linted_in_an_earlier_run_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo of linted items is a shortcut: a run that finds them there reports exactly what
    linting them again would, across items too (a GUID and an enclosure shared with a new item)."""
    from showpipe.feeds.lintmemo import LintMemo

    path = tmp_path / "lint.sealed"
    old = item("g1", "https://example.com/1.mp3") + item(
        "g2", "http://example.com/2.ogg", kind="audio/ogg", duration="0"
    )
    xml = GOOD_CHANNEL.format(guid="not-a-uuid", items=old).encode()
    first = LintMemo(path)
    found = lint_feed("t", xml, public=True, memo=first)
    first.save()
    assert found == lint_feed("t", xml, public=True)  # no memo at all
    again = LintMemo(path)
    with monkeypatch.context() as patched:  # the same bytes: not linted (parsed) again
        patched.setattr(showpipe.feeds.lint, "_lint_feed", _never)
        assert lint_feed("t", xml, public=True, memo=again) == found
    again.save()  # which keeps the feed's items known, though none was looked at
    # a new item sharing g1's GUID and URL: the checks across items still see the cached ones
    grown = GOOD_CHANNEL.format(
        guid="not-a-uuid", items=item("g1", "https://example.com/1.mp3") + old
    ).encode()
    memo = LintMemo(path)
    assert lint_feed("t", grown, public=True, memo=memo) == lint_feed("t", grown, public=True)
    assert memo.known and set(memo.known) <= set(memo.used)  # the old items came from the memo
    assert any("GUID g1 is used by 2 items" in str(f) for f in lint_feed("t", grown, public=True))


def test_a_memo_never_answers_for_another_feed_context(tmp_path: Path) -> None:
    """An item's findings depend on its feed (the show's title, public or not): the same item
    XML in another feed is linted again."""
    from showpipe.feeds.lintmemo import LintMemo

    memo = LintMemo(tmp_path / "lint.sealed")
    one = item("g1", "http://example.com/1.mp3")
    private = lint_feed(
        "t", GOOD_CHANNEL.format(guid="x", items=one).encode(), public=False, memo=memo
    )
    public = lint_feed(
        "t", GOOD_CHANNEL.format(guid="x", items=one).encode(), public=True, memo=memo
    )
    assert not any("use http" in str(f) for f in private)
    assert any("use http" in str(f) for f in public)
    titled = GOOD_CHANNEL.format(guid="x", items=one).replace(
        "<title>T</title>", "<title>E</title>"
    )
    assert any(
        "repeats the show's name" in str(f)
        for f in lint_feed("t", titled.encode(), public=False, memo=memo)
    )


def lint_versions(tmp_path: Path, versions: list[tuple[str, bool]]) -> list[list[str]]:
    """Lint each version of feed `t` (its XML, public or not) in a run of its own, with the
    memo the runs before kept; each time the findings must be those of a lint with no memo,
    and of the feed parsed whole. Returns each version's findings."""
    from showpipe.feeds.lint import _lint_whole
    from showpipe.feeds.lintmemo import LintMemo
    from showpipe.feeds.lintrules import Linter

    path, found = tmp_path / "lint.sealed", []
    for xml, public in versions:
        memo = LintMemo(path)
        findings = lint_feed("t", xml.encode(), public=public, memo=memo)
        memo.save()
        assert findings == lint_feed("t", xml.encode(), public=public)
        whole = _lint_whole(Linter("t", public), xml.encode(), None)
        assert findings == whole
        found.append([str(f) for f in findings])
    return found


def pretty(items: list[str], **swap: str) -> str:
    """Feed `t` laid out as showpipe writes it: one item a line, indented."""
    xml = GOOD_CHANNEL.format(guid="not-a-uuid", items="".join(f"    {i}\n" for i in items))
    for old, new in swap.items():
        xml = xml.replace(old, new)
    return xml


def dated(guid: str, url: str, day: int, **kwargs: str) -> str:
    return item(guid, url, **kwargs).replace("Mon, 02 Nov", f"Mon, {day:02} Nov")


def test_each_change_to_a_feed_finds_what_a_lint_from_scratch_finds(tmp_path: Path) -> None:
    """Between runs the memo knows the old items by their bytes: a new version of the feed
    finds exactly what linting it with no memo finds, whatever changed."""
    a = dated("g1", "https://example.com/1.mp3", 3)
    b = dated("g2", "http://example.com/2.mp3", 2, duration="0")
    c = dated("g3", "https://example.com/3.mp3", 1)
    same_guid = dated("g3", "https://example.com/4.mp3", 4)
    same_url = dated("g5", "https://example.com/1.mp3", 5)
    found = lint_versions(
        tmp_path,
        [
            (pretty([a, b, c]), True),
            (pretty([same_guid, a, b, c]), True),  # a new item with an old item's GUID
            (pretty([same_url, same_guid, a, b, c]), True),  # with an old enclosure URL
            (pretty([same_url, a, b, c]), True),  # an item removed
            (pretty([same_url, a, c, b]), True),  # two items swapped
            (pretty([same_url, a, c, b]), False),  # the feed no longer public
            (pretty([a, b, c], **{"<title>T<": "<title>E<"}), True),  # the show renamed
            (pretty([a, b, c], **{"<description>D<": "<description>F<"}), True),
            (
                pretty(
                    [a, b, c],
                    **{"</podcast:guid>": "</podcast:guid><itunes:type>serial</itunes:type>"},
                ),
                True,
            ),
        ],
    )
    assert found[0] and not any("GUID g3" in f for f in found[0])
    assert sum("GUID g3 is used by 2 items" in f for f in found[1]) == 2
    assert sum("https://example.com/1.mp3 is used by another item" in f for f in found[2]) == 2
    assert not any("GUID g3" in f for f in found[3])
    assert "items are not newest first" in "\n".join(found[4])
    assert "in a public feed" not in "\n".join(found[5])
    assert sum("repeats the show's name" in f for f in found[6]) == 3
    assert found[7] == found[0]
    assert sum("needs itunes:episode" in f for f in found[8]) == 3


def test_only_the_new_items_are_linted(tmp_path: Path) -> None:
    """The memo answers for the items it knows: only the new one is linted (and kept)."""
    from showpipe.feeds.lintmemo import LintMemo

    old = [dated(f"g{n}", f"https://example.com/{n}.mp3", n) for n in range(3, 0, -1)]
    memo = LintMemo(tmp_path / "lint.sealed")
    lint_feed("t", pretty(old).encode(), public=True, memo=memo)
    memo.save()
    memo = LintMemo(tmp_path / "lint.sealed")
    new = dated("g4", "https://example.com/4.mp3", 4)
    lint_feed("t", pretty([new, *old]).encode(), public=True, memo=memo)
    assert len(memo.used) == 4 and len(set(memo.used) - set(memo.known)) == 1


def test_a_date_without_zone_is_utc() -> None:
    """RFC 5322's -0000 (UTC, no local zone known) is ordered with the others, not a crash."""
    utc = item("g1", "https://example.com/1.mp3").replace("+0100", "-0000")  # 09:00 UTC
    paris = item("g2", "https://example.com/2.mp3")  # 08:00 UTC
    assert not any("newest first" in f for f in lint(utc + paris))
    assert any("newest first" in f for f in lint(paris + utc))


def test_a_feed_showpipe_built_is_cut_and_lints_as_when_parsed_whole(
    run: Run, project: Path
) -> None:
    """showpipe's own feeds take the fast way (cut at their items, each item readable
    alone), and it finds what parsing them whole finds."""
    from showpipe.feeds.cut import cut_feed
    from showpipe.feeds.lint import _lint_whole
    from showpipe.feeds.lintrules import Linter

    assert run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml").exit_code == 0
    for name in ("show", "videos"):
        xml = (project / "public" / "feeds" / f"{name}.xml").read_bytes()
        cut = cut_feed(xml)
        assert cut is not None and cut.items
        assert all(cut.parse_item(item) is not None for item in cut.items)
        whole = _lint_whole(Linter(name, True), xml, None)
        assert lint_feed(name, xml, public=True) == whole


def test_check_after_an_edit_reports_what_a_cold_check_does(run: Run, project: Path) -> None:
    """`check` lints an edited feed with what it kept from the run before; its report is
    that of a check with nothing kept."""
    assert run("publish", "episodes/pilot.yaml", "episodes/on-tools.yaml").exit_code == 0
    assert run("check").exit_code == 0
    episode = project / "episodes" / "on-tools.yaml"
    text = episode.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    episode.write_text(text.replace(title, "title: The Sample Show on tools"))
    warm = run("check")
    assert "repeats the show's name" in warm.stdout
    (project / ".showpipe" / "cache" / "lint.sealed").unlink()
    cold = run("check")
    assert (warm.exit_code, warm.stdout) == (cold.exit_code, cold.stdout)


CORPUS = sorted((Path(__file__).parent / "data" / "feeds").glob("*.xml"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_other_hosts_feeds_lint_as_when_parsed_whole(path: Path) -> None:
    """Real feeds from other hosts, cut or not (most are): the findings are those of the feed
    parsed whole, in the same order."""
    from showpipe.feeds.lint import _lint_whole
    from showpipe.feeds.lintrules import Linter

    xml = path.read_bytes()
    for public in (True, False):
        whole = _lint_whole(Linter(path.stem, public), xml, None)
        assert lint_feed(path.stem, xml, public=public) == whole


def test_a_built_feed_is_linted_from_the_pieces_it_was_joined_from(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan's feeds carry what the build joined them from: linted from those pieces
    (its bytes are not cut again), each finds what the feed parsed whole finds."""
    from showpipe.feeds.cut import join_items
    from showpipe.feeds.lint import _lint_whole
    from showpipe.feeds.lintrules import Linter

    storage = publish_sample(settings)
    plan = plan_feeds_only(load_project(settings), storage, now=NOW)
    for feed in plan.feeds:
        assert feed.pieces.items
        assert join_items(feed.pieces.head, feed.pieces.items, feed.pieces.tail) == feed.xml
        whole = _lint_whole(Linter(feed.name, False), feed.xml, None)
        with monkeypatch.context() as patched:
            patched.setattr(showpipe.feeds.lint, "cut_feed", _never)
            assert lint_feed(feed.name, feed.xml, public=False, pieces=feed.pieces) == whole


def test_pieces_lint_as_the_feed_joined_from_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item holding the text `<item>` (in a CDATA section) cannot be cut from the feed's
    bytes, but stands whole in the pieces: linted from them, with a memo or without, the
    findings are those of the feed parsed whole, across items too."""
    from showpipe.feeds.cut import Items, join_items
    from showpipe.feeds.lint import _lint_whole
    from showpipe.feeds.lintmemo import LintMemo
    from showpipe.feeds.lintrules import Linter

    head, tail = GOOD_CHANNEL.format(guid="not-a-uuid", items="\0").encode().split(b"\0")
    cdata = item("g1", "http://example.com/1.mp3").replace(
        "</title>", "</title><description><![CDATA[an <item> inside]]></description>"
    )
    other = item("g1", "https://example.com/2.mp3")
    pieces = Items(head.rstrip(), [cdata.encode(), other.encode()], tail)
    xml = join_items(pieces.head, pieces.items, pieces.tail)
    whole = _lint_whole(Linter("t", True), xml, None)
    assert any("GUID g1 is used by 2 items" in str(f) for f in whole)
    assert any("use http" in str(f) for f in whole)
    assert lint_feed("t", xml, public=True) == whole  # cut from its bytes: linted whole
    with monkeypatch.context() as patched:  # from the pieces: never parsed whole
        patched.setattr(showpipe.feeds.lint, "_lint_whole", _never)
        assert lint_feed("t", xml, public=True, pieces=pieces) == whole
        memo = LintMemo(tmp_path / "lint.sealed")
        assert lint_feed("t", xml, public=True, memo=memo, pieces=pieces) == whole
