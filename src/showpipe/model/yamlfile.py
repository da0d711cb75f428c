"""Reading and writing the project's YAML files, keeping line numbers, comments and key order.

ruamel.yaml's round-trip mode is used because it remembers where each key stands (for
`file:line` errors) and writes a file back with its comments intact (for the GUID write-back).
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml as pyyaml

from showpipe.errors import shown
from showpipe.inputfiles import MAX_YAML_BYTES, UnsafeFile, read_file

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap


class YamlProblem(Exception):
    """A file could not be parsed as YAML at all; `line` is 1-based where known."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{shown(path)}:{line or 1}: {message}")


@functools.cache
def _lenient_constructor() -> type[Any]:
    """ruamel.yaml's constructor, keeping an impossible date (30 February, hour 25, `+25:00`)
    as its text: the model then reports it at its line instead of a traceback."""
    from ruamel.yaml.constructor import RoundTripConstructor

    class LenientConstructor(RoundTripConstructor):
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError:
                return self.construct_scalar(node)

    LenientConstructor.add_constructor(
        "tag:yaml.org,2002:timestamp", LenientConstructor.construct_yaml_timestamp
    )
    return LenientConstructor


def _yaml() -> YAML:
    # ruamel.yaml only here: a file is read with it only when the fast reader cannot (to name
    # a problem's line) or when a value is written back, and importing it costs ~10 ms a run.
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.Constructor = _lenient_constructor()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def read_yaml_bytes(path: Path, *, root: Path | None = None) -> bytes:
    """A project YAML file's bytes, after the checks every input gets (`inputfiles`).

    `root` is the project, by default the parent of the file's folder (feeds/, episodes/).

    Raises:
        YamlProblem: not a regular file, outside the project, too large or unreadable.
    """
    root = root or Path(os.path.abspath(path)).parent.parent
    try:
        return read_file(path, root=root, limit=MAX_YAML_BYTES)
    except UnsafeFile as e:
        raise YamlProblem(path, None, e.problem) from e


def read_yaml(path: Path) -> CommentedMap:
    """Parse a YAML file whose top level must be a mapping.

    Raises:
        YamlProblem: unreadable, not UTF-8, too large, invalid YAML, or not a mapping.
    """
    return parse_yaml(path, read_yaml_bytes(path))


def parse_yaml(path: Path, raw: bytes) -> CommentedMap:
    """`read_yaml` on the file's bytes already read (`path` names it in messages)."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise YamlProblem(path, line, "file is not valid UTF-8 text") from e
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        # An unclosed [, { or quote is found at the end of the file; its start is the fix.
        if e.context_mark is not None and str(e.context).startswith(OPENED_CONTEXTS):
            mark = e.context_mark
        where = mark.line + 1 if mark is not None else None
        problem = str(e.problem or e.context)
        raise YamlProblem(path, where, f"invalid YAML: {problem}{syntax_hint(problem)}") from e
    except YAMLError as e:
        raise YamlProblem(path, None, f"invalid YAML: {e}") from e
    except RecursionError:
        # Each level of `[[[…]]]` is a level of the parser's recursion.
        raise YamlProblem(path, None, "invalid YAML: nested too deeply") from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise YamlProblem(path, 1, "the file must be a mapping of keys to values")
    return data


# What usually causes each of YAML's complaints in a hand-written episode file, and its fix.
SYNTAX_HINTS = {
    "mapping values are not allowed": "a value containing ': ' must be quoted, "
    'like title: "Pilot: the start"',
    "expected ',' or ']'": "a value starting with [ is a list: close it, or quote the value",
    "expected ',' or '}'": "a value starting with { is a mapping: close it, or quote the value",
    "found character '\\t'": "indent with spaces, not tabs",
    "could not find expected ':'": "each line needs `key: value`; quote a value that spans lines",
    "found undefined alias": "a value starting with * must be quoted",
    "found character '@'": "a value starting with @ or ` must be quoted",
    "found character '`'": "a value starting with @ or ` must be quoted",
    "found duplicate key": "a key appears twice in one mapping: keep one",
    "while scanning a quoted scalar": "a quoted value is not closed: add the closing quote",
    "found unexpected end of stream": "a quoted value is not closed: add the closing quote",
    "did not find expected key": "check the indentation: keys of one mapping line up",
    "block mapping": "check the indentation: keys of one mapping line up",
}


OPENED_CONTEXTS = ("while parsing a flow", "while scanning a quoted", "while scanning a double")


def syntax_hint(problem: str) -> str:
    """What to change for one of YAML's syntax complaints ("; fix: …"), or ""."""
    for pattern, hint in SYNTAX_HINTS.items():
        if pattern in problem:
            return f"; fix: {hint}"
    return ""


_TEXT, _MAPPING, _LIST = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "map", "seq"))
# Keys that PyYAML's constructor rewrites (`<<: *defaults`, `=`): left to it.
_SPECIAL_KEYS = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}


class _Irregular(Exception):
    """A document that only PyYAML's own constructor builds right."""


class _FastLoader(pyyaml.CSafeLoader):
    """libyaml's C parser, resolving plain scalars as YAML 1.2 (ruamel.yaml's reading) does.

    YAML 1.1 would read `no` as false, `1:30` as 90 and `010` as 8; YAML 1.2 reads them as
    text and 10. Duplicate keys, which ruamel.yaml refuses, are refused here too.
    """

    def construct_document(self, node: Any) -> Any:
        # PyYAML's generic construction (a generator per collection, bookkeeping per node)
        # was most of the time spent reading an episode: mappings, lists and text are built
        # here directly, every other value by PyYAML's constructors, as before.
        try:
            return self._construct_plainly(node, {})
        except _Irregular:
            return super().construct_document(node)

    def _construct_plainly(self, node: Any, made: dict[int, Any]) -> Any:
        if id(node) in made:  # an alias: the same object, as PyYAML gives (never a copy)
            return made[id(node)]
        if node.tag == _TEXT:
            return node.value
        if node.tag == _LIST:
            items: list[Any] = []
            made[id(node)] = items
            items.extend(self._construct_plainly(item, made) for item in node.value)
            return items
        if node.tag != _MAPPING:
            return self.construct_object(node, deep=True)
        mapping: dict[Any, Any] = {}
        made[id(node)] = mapping
        for key_node, value_node in node.value:
            if key_node.tag in _SPECIAL_KEYS:
                raise _Irregular
            key = self._construct_plainly(key_node, made)
            if not isinstance(key, Hashable):
                raise _Irregular  # PyYAML says so in its words
            if key in mapping:
                raise pyyaml.constructor.ConstructorError(
                    None, None, "duplicate key", key_node.start_mark
                )
            mapping[key] = self._construct_plainly(value_node, made)
        return mapping

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        # Fewer keys than key nodes means one key came twice (merge keys aside).
        if len(mapping) != len(node.value) and not any(
            k.tag.endswith(":merge") for k, _ in node.value
        ):
            raise pyyaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
        return mapping

    def construct_yaml_timestamp(self, node: Any) -> Any:
        # An impossible date stays text, so the model reports it (see _LenientConstructor).
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastLoader.construct_yaml_timestamp)
_FastLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float")
    ]
    for first, resolvers in pyyaml.CSafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
):
    _FastLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first)
    )


def read_yaml_fast(path: Path) -> dict[str, Any] | None:
    """Parse a YAML mapping quickly with libyaml, or None when anything is off.

    None means "read it with `read_yaml`", which is slower but names the line of a problem.
    """
    try:
        raw = read_yaml_bytes(path)
    except YamlProblem:
        return None
    return parse_yaml_fast(raw)


def parse_yaml_fast(raw: bytes) -> dict[str, Any] | None:
    """`read_yaml_fast` on a file's bytes already read."""
    if len(raw) > MAX_YAML_BYTES:
        return None
    try:
        data = pyyaml.load(raw.decode("utf-8"), Loader=_FastLoader)  # noqa: S506
    except (UnicodeDecodeError, pyyaml.YAMLError, RecursionError):
        return None
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


def line_of(data: CommentedMap, location: Sequence[str | int]) -> int:
    """Return the 1-based line of the value at `location` (a path of keys and indexes).

    Walks as deep as the path exists; a missing key points at its parent mapping.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line = 1
    node: Any = data
    for part in location:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
        else:
            break
        node = node[part]
    return line


def line_in_file(path: Path, location: Sequence[str | int]) -> int:
    """`line_of` in a file read again (1 if it cannot be): only called to report a problem."""
    try:
        return line_of(read_yaml(path), location)
    except YamlProblem:
        return 1


class _Dumper(pyyaml.CSafeDumper):
    """libyaml's emitter (an import writes thousands of files; ruamel's is ~20x slower),
    with multi-line text as literal blocks, as a person would write a description."""


def _represent_text(dumper: _Dumper, text: str) -> pyyaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def write_yaml(path: Path, data: Mapping[str, Any]) -> None:
    """Write a new YAML file (keys in the given order); `set_key` edits it like any other."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = pyyaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")


def set_key(path: Path, key: str, value: str | bool) -> None:
    """Add or replace `key` in a YAML file, keeping its comments and key order.

    A new key goes first. The file is replaced atomically, so a crash leaves either the old
    or the new file.
    """
    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    if key not in data:
        data.insert(0, key, value)
    else:
        data[key] = value
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yaml.dump(data, f)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
