"""Reading and writing the project's YAML files, keeping line numbers, comments and key order.

ruamel.yaml's round-trip mode is used because it remembers where each key stands (for
`file:line` errors) and writes a file back with its comments intact (for the GUID write-back).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from showpipe.errors import shown

# Bigger than any honest episode file; refusing larger ones bounds memory and parse time.
MAX_YAML_BYTES = 1_000_000


class YamlProblem(Exception):
    """A file could not be parsed as YAML at all; `line` is 1-based where known."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{shown(path)}:{line or 1}: {message}")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def read_yaml(path: Path) -> CommentedMap:
    """Parse a YAML file whose top level must be a mapping.

    Raises:
        YamlProblem: unreadable, not UTF-8, too large, invalid YAML, or not a mapping.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise YamlProblem(path, None, f"cannot read file: {e.strerror}") from e
    if len(raw) > MAX_YAML_BYTES:
        raise YamlProblem(path, None, f"file is larger than {MAX_YAML_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise YamlProblem(path, line, "file is not valid UTF-8 text") from e
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = mark.line + 1 if mark is not None else None
        raise YamlProblem(path, where, f"invalid YAML: {e.problem or e.context}") from e
    except YAMLError as e:
        raise YamlProblem(path, None, f"invalid YAML: {e}") from e
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise YamlProblem(path, 1, "the file must be a mapping of keys to values")
    return data


class _FastLoader(pyyaml.CSafeLoader):
    """libyaml's C parser, resolving plain scalars as YAML 1.2 (ruamel.yaml's reading) does.

    YAML 1.1 would read `no` as false, `1:30` as 90 and `010` as 8; YAML 1.2 reads them as
    text and 10. Duplicate keys, which ruamel.yaml refuses, are refused here too.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        # Fewer keys than key nodes means one key came twice (merge keys aside).
        if len(mapping) != len(node.value) and not any(
            k.tag.endswith(":merge") for k, _ in node.value
        ):
            raise pyyaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
        return mapping


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
        raw = path.read_bytes()
    except OSError:
        return None
    return parse_yaml_fast(raw)


def parse_yaml_fast(raw: bytes) -> dict[str, Any] | None:
    """`read_yaml_fast` on a file's bytes already read."""
    if len(raw) > MAX_YAML_BYTES:
        return None
    try:
        data = pyyaml.load(raw.decode("utf-8"), Loader=_FastLoader)  # noqa: S506
    except (UnicodeDecodeError, pyyaml.YAMLError):
        return None
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


def line_of(data: CommentedMap, location: Sequence[str | int]) -> int:
    """Return the 1-based line of the value at `location` (a path of keys and indexes).

    Walks as deep as the path exists; a missing key points at its parent mapping.
    """
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


def write_yaml(path: Path, data: Mapping[str, Any]) -> None:
    """Write a new YAML file in the project's style (the style `set_key` keeps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        _yaml().dump(dict(data), f)


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
