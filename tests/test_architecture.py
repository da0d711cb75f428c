"""The layers of docs/architecture.md, checked: every import of showpipe points down.

Imports inside functions and under TYPE_CHECKING count too: a late import is still a
dependency.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "showpipe"
DOC = SRC.parent.parent / "docs" / "architecture.md"

# Top to bottom; a package may import the packages of the layers below its own, never its
# own layer's other packages nor anything above. The ground floor is the top-level modules.
LAYERS = [
    {"cli"},
    {"commands"},
    {"web", "checks"},
    {"publishing", "importer"},
    {"media", "feeds"},
    {"model"},
    {"storage"},
    {"ground"},
]


def unit_of(module: str) -> str:
    """The package a module belongs to: `showpipe.media.id3` -> media; top-level -> ground,
    but for `python -m showpipe`, which is the CLI."""
    if module == "showpipe.__main__":
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (SRC / parts[-1]).is_dir() else "ground"


def level_of(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every showpipe module a file imports, with the line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "showpipe":
                found += [(node.lineno, f"showpipe.{a.name}") for a in node.names]
            elif node.module.startswith("showpipe."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("showpipe.")]
    return found


def module_of(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set().union(*LAYERS) - {"ground"}


def test_every_import_points_down() -> None:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        unit = unit_of(module_of(path))
        for line, imported in imports_of(path):
            target = unit_of(imported)
            if target != unit and level_of(target) <= level_of(unit):
                wrong.append(f"{path.relative_to(SRC)}:{line}: {unit} imports {imported}")
    assert wrong == []


def test_the_document_shows_these_layers() -> None:
    diagram = DOC.read_text().split("```")[1]
    # each row starts with its packages ("web/  checks/"), then says what they do
    rows = [re.match(r"(?:[a-z]+/ +)+", line + " ") for line in diagram.splitlines()]
    documented = [set(re.findall(r"([a-z]+)/", row.group())) for row in rows if row]
    assert documented == [layer for layer in LAYERS if layer != {"ground"}]


# Each wrapped library is imported by one package, which turns its errors into showpipe's.
WRAPPED = {
    "boto3": "storage",
    "botocore": "storage",
    "s3transfer": "storage",
    "mutagen": "media",
    "av": "media",
    "feedgen": "feeds",
    "jinja2": "web",
    "click": "cli",
}


def test_each_wrapped_library_is_imported_by_its_package_only() -> None:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        unit = unit_of(module_of(path))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                owner = WRAPPED.get(name.split(".")[0])
                if owner and owner != unit:
                    wrong.append(f"{path.relative_to(SRC)}:{node.lineno}: {unit} imports {name}")
    assert wrong == []


def test_the_media_package_exports_what_it_lists() -> None:
    """`showpipe.media` imports each export when first used: every listed name resolves,
    from the module it is said to come from."""
    import showpipe.media as media

    assert sorted(media.__all__) == sorted(media._MODULE_OF)
    for name in media.__all__:
        assert getattr(media, name) is getattr(sys.modules[media._MODULE_OF[name]], name)
