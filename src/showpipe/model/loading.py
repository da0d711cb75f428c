"""Loading feeds and episodes from YAML: each reports all of a file's problems at once as
`file:line: field: message`, phrased for a podcaster rather than as pydantic says them.

Every YAML file of the project goes through `load_feed` / `load_episode`. A file is parsed
the fast way first when it can be (`parse_yaml_fast`); one with a problem is parsed again the
slow way, which knows each value's line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, get_args, get_origin

import pydantic
from pydantic import BaseModel

from showpipe import parallel
from showpipe.errors import ValidationError, shown
from showpipe.model.episode import Episode
from showpipe.model.fields import ProblemAt, did_you_mean
from showpipe.model.show import Feed
from showpipe.model.yamlfile import (
    YamlProblem,
    line_of,
    parse_yaml,
    parse_yaml_fast,
    read_yaml_bytes,
)
from showpipe.parallel import render_each


def _known_fields(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at `location` (for "did you mean" hints)."""
    for part in location:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        while get_origin(annotation) is not None and not _is_model(annotation):
            args = [a for a in get_args(annotation) if _is_model(a) or get_origin(a)]
            if not args:
                return []
            annotation = args[0]
        if not _is_model(annotation):
            return []
        model = annotation  # type: ignore[assignment]
    return [name for name, f in model.model_fields.items() if not f.exclude]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _dotted(location: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")


def _problem_location(error: Any, location: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Where a model check placed its problem (ProblemAt), else pydantic's location."""
    cause = error.get("ctx", {}).get("error")
    return (*location, *cause.location) if isinstance(cause, ProblemAt) else location


def why_not_a_datetime(value: Any) -> str:
    """Why an ISO 8601-looking text is no real time ("month must be in 1..12"), or ""."""
    try:
        datetime.fromisoformat(str(value).replace("z", "Z"))
    except ValueError as e:
        reason = str(e)
        if reason.startswith("offset"):
            return ": a time zone offset must be less than 24 hours"
        if "Invalid isoformat" not in reason:
            return f": {reason}"
    return ""


def _describe(model: type[BaseModel], error: Any) -> str:
    """One pydantic error as `field: message`, phrased for a podcaster."""
    location = tuple(error["loc"])
    field = _dotted(location)
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        hint = did_you_mean(location[-1], _known_fields(model, location[:-1]))
        message = f"unknown key{hint}"
    elif value is None and kind.startswith("datetime"):
        message = "is empty: write when it goes live, like 2026-11-20T09:00:00+01:00"
    elif kind.startswith("datetime") or kind == "date_from_datetime_parsing":
        reason = why_not_a_datetime(value)
        message = f"'{value}' is not a date-time{reason} (write it like 2026-11-20T09:00:00+01:00)"
    elif kind == "timezone_aware":
        message = f"'{value}' has no time zone (add one, like +01:00 or Z)"
    elif kind == "less_than_equal":
        message = f"'{value}' is more than {error['ctx']['le']}, the most apps and tags hold"
    elif kind.startswith("int_"):
        message = f"'{value}' is not a whole number"
    elif kind.startswith("bool_"):
        message = f"'{value}' is not true or false"
    elif kind == "string_unicode":
        # A lone surrogate, which a YAML escape such as "\ud800" can spell.
        message = "holds half of a \\u escape pair (a lone surrogate), which no text can; remove it"
    elif kind == "literal_error":
        message = f"'{value}' is not one of {error['ctx']['expected']}"
    elif kind == "value_error":
        message = str(error["ctx"]["error"])
        location = _problem_location(error, location)
        field = _dotted(location)
    else:
        message = error["msg"]
    return f"{field}: {message}" if field else message


def _validate(
    model: type[BaseModel],
    path: Path,
    extra: dict[str, Any],
    raw: bytes | None = None,
    *,
    source: Path | None = None,
) -> Any:
    base = (source or path.resolve()).parent
    if raw is None:
        try:
            raw = read_yaml_bytes(path)
        except YamlProblem as e:
            raise ValidationError([str(e)]) from None
    fast = parse_yaml_fast(raw)
    if fast is not None:
        try:
            return model.model_validate({**fast, **extra}, context={"base": base})
        except pydantic.ValidationError:
            pass  # read it again the slow way, which knows each field's line
    try:
        data = parse_yaml(path, raw)
    except YamlProblem as e:
        raise ValidationError([str(e)]) from None
    try:
        return model.model_validate({**data, **extra}, context={"base": base})
    except pydantic.ValidationError as e:
        problems = [
            f"{shown(path)}:{line_of(data, _problem_location(error, error['loc']))}: "
            f"{_describe(model, error)}"
            for error in e.errors(include_url=False)
        ]
        raise ValidationError(problems) from None


def load_feed(path: Path) -> Feed:
    """Load `feeds/<name>.yaml`. Raises ValidationError listing every problem."""
    feed: Feed = _validate(Feed, path, {"name": path.stem})
    return feed


def load_episode(path: Path, raw: bytes | None = None, *, source: Path | None = None) -> Episode:
    """Load `episodes/<slug>.yaml` (whose bytes are `raw` when already read, and whose
    resolved path is `source` when known: resolving costs a system call per folder).

    Raises:
        ValidationError: listing every problem.
    """
    source = source or path.resolve()
    episode: Episode = _validate(
        Episode, path, {"slug": path.stem, "source": source}, raw, source=source
    )
    return episode


def load_episodes(files: Sequence[tuple[Path, bytes, Path]]) -> list[Episode | list[str]]:
    """`load_episode` for each (file, its bytes, its resolved path): each episode, or its
    problems. A big show's are validated on every core (`showpipe.parallel`)."""
    loads = [partial(_episode_or_problems, *file) for file in files]
    # Read when called, so that one setting (a test's too) governs this and the early start
    # of the workers (`commands.feeds`).
    return list(render_each(loads, parallel_from=parallel.PARALLEL_LOAD_FROM))


def _episode_or_problems(path: Path, raw: bytes, source: Path) -> Episode | list[str]:
    try:
        episode = load_episode(path, raw, source=source)
    except ValidationError as e:
        return e.problems
    # Every run needs the slug (URLs, and the check that no two episodes share one). Made
    # here, on a worker's core for a big show, it comes back with the episode: made by the
    # main process after the load, 5,000 of them took some 60 ms with the other cores idle.
    _ = episode.public_slug
    return episode
