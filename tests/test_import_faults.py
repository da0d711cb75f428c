"""The import faults issue 12 found, each on a small feed written to show it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree
from ruamel.yaml import YAML

from oldhost import OldHost
from showpipe.cli import cli
from showpipe.feeds.build import PODCAST_GUID_NAMESPACE
from showpipe.importer.text import split_person, to_markdown, to_plain

NS = (
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" '
)
NEW_P = "https://podcastindex.org/namespace/1.0"
OLD_P = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
P = f"{{{NEW_P}}}"
IT = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def feed(channel: str, items: str, *, podcast_ns: str = NEW_P) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {NS} xmlns:podcast="{podcast_ns}"><channel>
<title>Old Show</title><link>https://old.example/</link><description>About.</description>
<language>en</language><itunes:author>Old Host</itunes:author>
<itunes:owner><itunes:name>Old</itunes:name><itunes:email>o@old.example</itunes:email></itunes:owner>
<itunes:image href="https://cdn.old.example/cover.jpg"/>
<itunes:category text="Technology"/>
{channel}{items}</channel></rss>""".encode()


def item(guid: str, extra: str = "", *, kind: str = "audio/mpeg", url: str = "") -> str:
    url = url or f"https://cdn.old.example/{guid}.mp3"
    return f"""<item><title>Episode {guid}</title><guid>{guid}</guid>
<pubDate>Tue, 05 Mar 2024 07:05:00 +0100</pubDate><description>Text {guid}.</description>
<enclosure url="{url}" length="1234567" type="{kind}"/><itunes:duration>61</itunes:duration>
{extra}</item>"""


def showpipe(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


def imported(tmp_path: Path, host: OldHost, xml: bytes, *args: str) -> tuple[Path, Result]:
    url = host.serve(f"{tmp_path.name}.xml", xml)
    project = tmp_path / "new"
    result = showpipe(project, "import", *args, url)
    assert result.exit_code == 0, result.output
    return project, result


def yaml_of(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def episodes(project: Path) -> dict[str, Any]:
    found = (yaml_of(p) for p in (project / "episodes").glob("*.yaml"))
    return {data["guid"]: data for data in found}


def rebuilt(project: Path) -> Any:
    result = showpipe(project, "feeds")
    assert result.exit_code == 0, result.output
    xml = (project / "public" / "feeds" / "show.xml").read_bytes()
    return etree.fromstring(xml).find("channel")


@pytest.mark.parametrize("namespace", [NEW_P, OLD_P])
def test_both_podcasting_2_namespace_uris_are_read_alike(
    tmp_path: Path, host: OldHost, namespace: str
) -> None:
    guid = "2f0a4b1e-5c0e-5d43-9e5f-3f2a0b7b9a11"
    channel = f"""<podcast:guid>{guid}</podcast:guid><podcast:locked>yes</podcast:locked>
<podcast:person role="host" img="https://old.example/a.jpg">Ada</podcast:person>
<podcast:funding url="https://old.example/support">Support us</podcast:funding>"""
    extra = """<podcast:transcript url="https://old.example/1.vtt" type="text/vtt"/>
<podcast:chapters url="https://old.example/1.json" type="application/json+chapters"/>
<podcast:person role="guest">Grace</podcast:person>
<podcast:season name="Origins">2</podcast:season><podcast:episode>7</podcast:episode>"""
    project, _ = imported(tmp_path, host, feed(channel, item("a", extra), podcast_ns=namespace))
    show, old = yaml_of(project / "feeds" / "show.yaml"), f"{host.base}h/old.example"
    assert show["podcast_guid"] == guid and show["locked"] is True
    assert show["hosts"] == [{"name": "Ada", "role": "host", "image": f"{old}/a.jpg"}]
    assert show["funding"] == [{"url": f"{old}/support", "text": "Support us"}]
    assert show["seasons"] == {2: "Origins"}
    episode = episodes(project)["a"]
    assert (episode["season"], episode["episode"]) == (2, 7)
    assert episode["guests"] == [{"name": "Grace", "role": "guest"}]
    assert episode["chapters_url"] == f"{old}/1.json"
    assert episode["remote_transcripts"] == [{"url": f"{old}/1.vtt", "type": "text/vtt"}]
    new = rebuilt(project)
    assert new.findtext(f"{P}guid") == guid
    [built] = new.findall("item")
    assert built.findtext(f"{P}season") == "2" and built.findtext(f"{P}episode") == "7"
    # an item naming people replaces the channel's (podcast:person), so it stays as it was
    assert {p.text for p in built.findall(f"{P}person")} == {"Grace"}


def test_podcast_guid_comes_from_the_feeds_own_url_never_a_local_path(
    tmp_path: Path, host: OldHost
) -> None:
    self_link = '<atom:link rel="self" href="https://feeds.old.example/show.rss"/>'
    project, result = imported(tmp_path, host, feed(self_link, item("a")))
    own = f"{host.base}h/feeds.old.example/show.rss"  # the self link, as served here
    expected = str(uuid.uuid5(PODCAST_GUID_NAMESPACE, own.split("://")[1]))
    assert yaml_of(project / "feeds" / "show.yaml")["podcast_guid"] == expected
    assert f"derived from {own}" in result.output

    # from a file with no self link: none, and the import says how to give one
    local = tmp_path / "saved.xml"
    local.write_bytes(feed("", item("a")))
    from_file = showpipe(tmp_path / "other", "import", str(local))
    assert from_file.exit_code == 0, from_file.output
    assert "podcast_guid" not in yaml_of(tmp_path / "other" / "feeds" / "show.yaml")
    assert "give --feed-url" in from_file.output
    given = showpipe(
        tmp_path / "third", "import", "--feed-url", "https://old.example/rss", str(local)
    )
    assert given.exit_code == 0, given.output
    expected = str(uuid.uuid5(PODCAST_GUID_NAMESPACE, "old.example/rss"))
    assert yaml_of(tmp_path / "third" / "feeds" / "show.yaml")["podcast_guid"] == expected


def test_channel_values_are_inherited_and_block_is_kept(tmp_path: Path, host: OldHost) -> None:
    items = item("a") + item("b", "<itunes:explicit>no</itunes:explicit>")
    items += item("c", "<itunes:block>Yes</itunes:block>")
    project, _ = imported(tmp_path, host, feed("<itunes:explicit>yes</itunes:explicit>", items))
    found = episodes(project)
    assert "explicit" not in found["a"] and found["b"]["explicit"] is False
    assert found["c"]["block"] is True
    new = rebuilt(project)
    flags = {i.findtext("guid"): i.findtext(f"{IT}explicit") for i in new.findall("item")}
    assert flags == {"a": "true", "b": "false", "c": "true"}
    blocked = [i.findtext("guid") for i in new.findall("item") if i.findtext(f"{IT}block")]
    assert blocked == ["c"]


def test_the_richest_description_wins_and_renders_back(tmp_path: Path, host: OldHost) -> None:
    html = '<p>First <a href="https://old.example/x">link</a>.</p><ul><li>one</li><li>two</li></ul>'
    extra = "<itunes:summary>First link. one two</itunes:summary>"
    extra += f"<content:encoded><![CDATA[{html}]]></content:encoded>"
    project, _ = imported(tmp_path, host, feed("", item("a", extra)))
    episode = episodes(project)["a"]
    link = f"{host.base}h/old.example/x"
    assert f"[link]({link})" in episode["description"]
    built = rebuilt(project).find("item")
    body = built.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert f'<a href="{link}"' in body and "<li>two</li>" in body


def test_plain_text_keeps_its_paragraphs_and_html_its_blocks() -> None:
    plain = "First line\nsecond line\n\nNew paragraph with 5 * 3 and a_b."
    assert to_markdown(plain) == (
        "First line\\\nsecond line\n\nNew paragraph with 5 \\* 3 and a\\_b."
    )
    assert to_plain("<p>One.</p><p>Two</p>") == "One. Two"
    assert to_plain("Tom &amp; Jerry") == "Tom &amp; Jerry"  # plain text is not decoded again


@pytest.mark.parametrize(
    ("text", "name", "email"),
    [
        ("NPR (podcasts@npr.org)", "NPR", "podcasts@npr.org"),
        ("podcasts@npr.org (NPR)", "NPR", "podcasts@npr.org"),
        ("Lee Park <lee@old.example>", "Lee Park", "lee@old.example"),
        ("lee@old.example", "", "lee@old.example"),
        ("Sam & Lee", "Sam & Lee", ""),
    ],
)
def test_people_are_split_into_name_and_email(text: str, name: str, email: str) -> None:
    who = split_person(text)
    assert (who.name, who.email) == (name, email)


def test_author_is_a_name_and_entities_are_decoded_once(tmp_path: Path, host: OldHost) -> None:
    xml = feed("", item("a")).replace(
        b"<itunes:author>Old Host</itunes:author>",
        b"<itunes:author>Sam &amp; Lee (sam@old.example)</itunes:author>",
    )
    project, _ = imported(tmp_path, host, xml)
    assert yaml_of(project / "feeds" / "show.yaml")["author"] == "Sam & Lee"


def test_urls_are_resolved_against_the_feed(tmp_path: Path, host: OldHost) -> None:
    items = item("a", url="//cdn.old.example/a.mp3") + item("b", url="media/b.mp3")
    project, _ = imported(tmp_path, host, feed("", items))
    found = episodes(project)
    assert found["a"]["remote_audio"]["url"] == "http://cdn.old.example/a.mp3"
    assert found["b"]["remote_audio"]["url"] == f"{host.base}feed/media/b.mp3"


def test_old_apple_categories_are_mapped(tmp_path: Path, host: OldHost) -> None:
    channel = '<itunes:category text="Games &amp; Hobbies"><itunes:category text="Video Games"/>'
    channel += '</itunes:category><itunes:category text="Technology">'
    channel += '<itunes:category text="Tech News"/></itunes:category>'
    channel += '<itunes:category text="Made Up"/>'
    project, result = imported(tmp_path, host, feed(channel, item("a")))
    assert yaml_of(project / "feeds" / "show.yaml")["categories"] == [
        {"category": "Technology"},
        {"category": "Leisure", "subcategory": "Video Games"},
        {"category": "News", "subcategory": "Tech News"},
    ]
    assert "category 'Made Up' is not on Apple's list" in result.stderr


def test_missing_duration_and_empty_guid(tmp_path: Path, host: OldHost) -> None:
    no_duration = item("a").replace("<itunes:duration>61</itunes:duration>", "")
    empty_guid = item("b").replace("<guid>b</guid>", "<guid></guid>")
    project, result = imported(tmp_path, host, feed("", no_duration + empty_guid))
    assert "Episode b' has an empty or no <guid>" in result.stderr
    new = rebuilt(project)
    durations = {i.findtext("title"): i.findtext(f"{IT}duration") for i in new.findall("item")}
    assert durations == {"Episode a": None, "Episode b": "61"}
    guids = {i.findtext("title"): i.findtext("guid") for i in new.findall("item")}
    assert guids["Episode b"] == f"{host.base}h/cdn.old.example/b.mp3"


def test_each_image_is_fetched_once_and_lengths_looked_up(tmp_path: Path, host: OldHost) -> None:
    shared = '<itunes:image href="https://cdn.old.example/shared.jpg"/>'
    own = '<itunes:image href="https://cdn.old.example/cover.jpg"/>'  # the show's: inherited
    items = item("a", shared) + item("b", shared) + item("c", own)
    items = items.replace('length="1234567"', 'length="0"', 1)
    host.gets.clear()
    project, result = imported(tmp_path, host, feed("", items))
    assert sorted(host.gets) == ["/h/cdn.old.example/cover.jpg", "/h/cdn.old.example/shared.jpg"]
    found = episodes(project)
    assert found["a"]["artwork"] == found["b"]["artwork"] and "artwork" not in found["c"]
    assert found["a"]["remote_audio"]["length"] > 1  # asked with HEAD
    assert "1 file size(s) looked up, 2 image(s) fetched" in result.output


def test_a_show_mixing_audio_and_video_keeps_every_episode(tmp_path: Path, host: OldHost) -> None:
    items = item("a") + item("v", kind="video/mp4", url="https://cdn.old.example/v.mp4")
    project, _ = imported(tmp_path, host, feed("", items))
    assert yaml_of(project / "feeds" / "show.yaml")["medium"] == "audio_or_video"
    new = rebuilt(project)
    kinds = {i.findtext("guid"): i.find("enclosure").get("type") for i in new.findall("item")}
    assert kinds == {"a": "audio/mpeg", "v": "video/mp4"}


def test_value_for_value_goes_through(tmp_path: Path, host: OldHost) -> None:
    value = """<podcast:value type="lightning" method="keysend" suggested="0.00000005">
<podcast:valueRecipient name="Host" type="node" address="03ae9f" split="90"/>
<podcast:valueRecipient name="App" type="node" address="02ff" split="10" fee="true"/>
</podcast:value>"""
    project, _ = imported(tmp_path, host, feed(value, item("a", value.replace("90", "80"))))
    show = yaml_of(project / "feeds" / "show.yaml")
    assert show["value"]["recipients"][1] == {
        "name": "App", "type": "node", "address": "02ff", "split": 10, "fee": True
    }  # fmt: skip
    new = rebuilt(project)
    splits = [r.get("split") for r in new.findall(f"{P}value/{P}valueRecipient")]
    assert splits == ["90", "10"]
    item_splits = [r.get("split") for r in new.find("item").findall(f"{P}value/{P}valueRecipient")]
    assert item_splits == ["80", "10"]


def test_feeds_right_after_import_lists_every_episode(tmp_path: Path, host: OldHost) -> None:
    project, _ = imported(tmp_path, host, feed("", item("a") + item("b")))
    result = showpipe(project, "feeds")
    assert result.exit_code == 0 and "(+2 -0 items)" in result.output
    assert re.search(r"<guid[^>]*>a</guid>", (project / "public/feeds/show.xml").read_text())


def test_feeds_refuses_an_empty_feed_for_a_show_never_published(
    tmp_path: Path, host: OldHost
) -> None:
    project, _ = imported(tmp_path, host, feed("", item("a")), "--download")
    assert list((project / "episodes" / "media").glob("episode-a.*"))  # media fetched
    result = showpipe(project, "feeds")
    assert result.exit_code == 1
    assert "would list no episode" in result.stderr
    assert "run showpipe publish episodes/*.yaml" in result.stderr
    assert not (project / "public" / "feeds" / "show.xml").exists()


def test_a_busy_host_is_asked_again_and_a_missing_file_is_a_warning(
    tmp_path: Path, host: OldHost
) -> None:
    items = item("a").replace('length="1234567"', 'length="0"')
    items += item("b").replace('length="1234567"', 'length="1"')
    host.flaky.add("/h/cdn.old.example/a.mp3")
    host.missing.add("/h/cdn.old.example/b.mp3")
    project, result = imported(tmp_path, host, feed("", items))
    found = episodes(project)
    assert found["a"]["remote_audio"]["length"] > 1 and not host.flaky  # retried
    assert "length" not in found["b"]["remote_audio"]
    assert "b.mp3: the old feed gives no length and the server tells none (HTTP 404)" in (
        result.stderr
    )
    assert re.search(r"episode-b\.yaml:\d+: remote_audio\.length: is required", result.output)
