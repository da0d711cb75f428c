"""A run makes, renders and records only the pages whose inputs changed; what it keeps between
runs (the site index, the compiled templates) never changes a page's bytes."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from sampleshow import NOW, publish_sample
from showpipe.config import Settings
from showpipe.errors import ConflictError
from showpipe.model.manifest import read_manifest
from showpipe.model.project import load_project
from showpipe.storage.local import LocalStorage
from showpipe.web import environment, site
from showpipe.web.environment import TEMPLATES_FILE, Templates, _SealedBytecode
from showpipe.web.site import SITE_INDEX_KEY, Site, build_site, write_site
from showpipe.web.siteindex import INDEX_MEMO_FILE, IndexMemo, changed_pages, pages_change


def _built(settings: Settings, storage: LocalStorage) -> Site:
    return build_site(load_project(settings), read_manifest(storage), now=NOW)


def _counting(built: Site, made: list[str]) -> Site:
    """The same site, noting each page it makes."""

    def renderer(key: str) -> Callable[[], bytes]:
        made.append(key)
        return built.renderer(key)

    return Site(built.sources, renderer)


def _cold_bytes(settings: Settings, storage: LocalStorage) -> dict[str, bytes]:
    built = _built(settings, storage)
    pages = {page.key: page.html for page in built}
    built.done_rendering()
    return pages


def _retitle_pilot(settings: Settings, title: str) -> None:
    path = settings.episodes_dir / "pilot.yaml"
    path.write_text(path.read_text().replace("title: Pilot", f"title: {title}"))


def test_a_run_makes_only_the_pages_whose_inputs_changed(settings: Settings) -> None:
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage))
    made: list[str] = []
    unchanged = _counting(_built(settings, storage), made)
    assert not pages_change(storage, unchanged) and write_site(storage, unchanged) == []
    assert made == []  # not one Page for an unchanged site
    _retitle_pilot(settings, "Pilot, edited")
    edited = _counting(_built(settings, storage), made)
    written = write_site(storage, edited)
    # the pilot's own pages, its neighbour's page (it names the pilot), the archive and the
    # show page: made, rendered, and the same bytes as a build from scratch
    assert sorted(made) == sorted(written)
    assert "episodes/pilot.html" in written and len(written) < len(edited) / 2
    cold = _cold_bytes(settings, storage)
    assert {key: (storage.root / key).read_bytes() for key in cold} == cold


@pytest.mark.parametrize("version", [1, 2])
def test_an_index_an_older_showpipe_wrote_is_read_and_upgraded(
    settings: Settings, version: int
) -> None:
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage))
    index = json.loads((storage.root / SITE_INDEX_KEY).read_bytes())
    entries = {key: entry.split(" ") for key, entry in index["pages"].items()}
    if version == 2:
        pages = {k: {"source": s, "digest": d} for k, (s, d) in entries.items()}
        older = {**index, "version": 2, "pages": pages}
    else:  # the bare {key: digest}: no sources, so every page is rendered and compared
        older = {key: digest for key, (_, digest) in entries.items()}
    (storage.root / SITE_INDEX_KEY).write_text(json.dumps(older))
    # a run takes the lock to upgrade it, though no page's bytes change
    assert pages_change(storage, _built(settings, storage))
    assert write_site(storage, _built(settings, storage)) == []
    assert json.loads((storage.root / SITE_INDEX_KEY).read_bytes())["pages"] == index["pages"]
    assert not pages_change(storage, _built(settings, storage))


def test_pages_whose_sources_changed_but_not_their_bytes_are_recorded(
    settings: Settings,
) -> None:
    """After an upgrade of showpipe every page's source changes, mostly not its bytes: the
    index must take the new sources, or every later run would make every page again."""
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage))
    index = json.loads((storage.root / SITE_INDEX_KEY).read_bytes())
    older = {key: "oldsource " + entry.split(" ")[1] for key, entry in index["pages"].items()}
    (storage.root / SITE_INDEX_KEY).write_text(json.dumps({**index, "pages": older}))
    assert pages_change(storage, _built(settings, storage))
    assert write_site(storage, _built(settings, storage)) == []
    assert json.loads((storage.root / SITE_INDEX_KEY).read_bytes())["pages"] == index["pages"]
    assert not pages_change(storage, _built(settings, storage))


def test_a_damaged_entry_is_a_page_to_render_again(settings: Settings) -> None:
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage))
    index = json.loads((storage.root / SITE_INDEX_KEY).read_bytes())
    index["pages"]["episodes/pilot.html"] = {"source": "not", "digest": "a string"}
    index["pages"]["index.html"] = "no-digest"
    (storage.root / SITE_INDEX_KEY).write_text(json.dumps(index))
    (storage.root / "index.html").write_text("stale")
    assert pages_change(storage, _built(settings, storage))
    assert sorted(write_site(storage, _built(settings, storage))) == [
        "episodes/pilot.html",
        "index.html",
    ]
    assert (storage.root / "index.html").read_bytes() == _cold_bytes(settings, storage)[
        "index.html"
    ]


def test_the_index_kept_by_this_machine_gives_way_to_one_stored_since(
    settings: Settings,
) -> None:
    """The index as this machine last read or wrote it (`IndexMemo`) stands for the stored
    one only while the storage holds that very index: one stored since (by a person, by
    another machine) is read, and its damaged entry is a page to render again."""
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage), memo=IndexMemo.of(settings.cache_dir))
    assert not pages_change(
        storage, _built(settings, storage), memo=IndexMemo.of(settings.cache_dir)
    )
    index = json.loads((storage.root / SITE_INDEX_KEY).read_bytes())
    index["pages"]["index.html"] = "no-digest"
    (storage.root / SITE_INDEX_KEY).write_text(json.dumps(index))
    (storage.root / "index.html").write_text("stale")
    later = IndexMemo.of(settings.cache_dir)  # the next run's
    assert pages_change(storage, _built(settings, storage), memo=later)
    assert write_site(storage, _built(settings, storage), memo=later) == ["index.html"]
    assert not pages_change(
        storage, _built(settings, storage), memo=IndexMemo.of(settings.cache_dir)
    )
    assert (settings.cache_dir / INDEX_MEMO_FILE).exists()


def test_an_index_stored_while_the_pages_are_written_is_not_overwritten(
    settings: Settings,
) -> None:
    """The index is written only if it is still the one the run read: what a person stored
    meanwhile is kept, and the run says so."""
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage))
    _retitle_pilot(settings, "Pilot, edited")
    built = _built(settings, storage)
    theirs = (storage.root / SITE_INDEX_KEY).read_text().replace("{", '{"note": "mine", ', 1)

    def renderer(key: str) -> Callable[[], bytes]:
        def render() -> bytes:
            (storage.root / SITE_INDEX_KEY).write_text(theirs)
            return built.renderer(key)()

        return render

    with pytest.raises(ConflictError, match="changed by another showpipe run"):
        write_site(storage, Site(built.sources, renderer))
    assert (storage.root / SITE_INDEX_KEY).read_text() == theirs


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja compiles while the test runs."""
    names: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *a, **k):  # type: ignore[no-untyped-def]
        names.append(name)
        return compile_template(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def test_compiled_templates_are_kept_and_give_the_same_pages(
    settings: Settings, compiled: list[str | None]
) -> None:
    storage = publish_sample(settings)
    cold = _cold_bytes(settings, storage)
    kept = settings.cache_dir / TEMPLATES_FILE
    assert kept.is_file()
    compiled.clear()
    assert _cold_bytes(settings, storage) == cold and compiled == []  # loaded, not compiled
    # a file not sealed by this user's showpipe is never loaded: the templates compile
    kept.write_bytes(kept.read_bytes()[:-1] + b"\0")
    assert _cold_bytes(settings, storage) == cold and "episode.html" in compiled


def test_a_cold_run_keeps_every_template_it_compiled_in_one_write(
    settings: Settings,
    tmp_path: Path,
    compiled: list[str | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The compiled templates are written once the pages are rendered, not once per
    template, and hold every template the pages needed."""
    storage = publish_sample(settings)
    kept = settings.cache_dir / TEMPLATES_FILE
    assert not kept.exists()  # no page rendered yet
    writes: list[Path] = []
    write = environment.write_sealed

    def noted(path: Path, *args: object) -> None:
        writes.append(path)
        write(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(environment, "write_sealed", noted)
    compiled.clear()
    fresh = LocalStorage(tmp_path / "fresh")
    assert write_site(fresh, _built(settings, storage))  # every page, from cold
    assert len(compiled) > 1 and writes == [kept]
    compiled.clear()
    assert _cold_bytes(settings, storage) and compiled == []  # each one loaded


def test_a_dry_run_of_the_pages_keeps_the_templates_it_compiled(
    settings: Settings, tmp_path: Path
) -> None:
    """`site --dry-run` renders the pages it would write (changed_pages): the templates it
    compiled are kept as a real run's are."""
    storage = publish_sample(settings)
    kept = settings.cache_dir / TEMPLATES_FILE
    assert not kept.exists()
    assert changed_pages(LocalStorage(tmp_path / "fresh"), _built(settings, storage))
    assert kept.is_file()


def test_a_kept_template_whose_source_changed_is_compiled_again(
    tmp_path: Path, compiled: list[str | None]
) -> None:
    def render(source: str) -> str:
        kept = _SealedBytecode(tmp_path / TEMPLATES_FILE)
        environment = jinja2.Environment(
            loader=jinja2.DictLoader({"page.html": source}), bytecode_cache=kept
        )
        page = environment.get_template("page.html").render(name="you")
        kept.save()
        return page

    assert render("Hello {{ name }}") == "Hello you"
    assert render("Hello {{ name }}") == "Hello you"  # kept: loaded, not compiled
    assert render("Bye {{ name }}") == "Bye you"
    assert compiled == ["page.html", "page.html"]  # the first and the changed one


def test_templates_go_to_a_worker_without_their_cache(settings: Settings) -> None:
    templates = Templates(settings.cache_dir)
    copy = pickle.loads(pickle.dumps(templates))
    assert copy.cache_dir is None and copy is pickle.loads(pickle.dumps(templates))


def test_an_edit_of_a_neighbour_title_reaches_the_page_that_names_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "INDEX_EPISODES", 1)
    storage = publish_sample(settings)
    write_site(storage, _built(settings, storage))
    _retitle_pilot(settings, "A new title")
    written = write_site(storage, _built(settings, storage))
    assert "episodes/on-tools.html" in written  # the pilot's newer neighbour names it
    page = (storage.root / "episodes" / "on-tools.html").read_text()
    assert "A new title" in page


def test_a_show_with_nothing_published_has_its_show_pages(settings: Settings) -> None:
    storage = LocalStorage(settings.root / "public")
    empty = _built(settings, storage)
    assert sorted(empty.sources) == [
        "404.html",
        "archive/index.html",
        "index.html",
        "robots.txt",
        "sitemap.xml",
    ]
    assert len(write_site(storage, empty)) == 5
