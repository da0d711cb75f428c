"""The errors showpipe reports to a user: each means "your input or your storage needs fixing"."""

from __future__ import annotations

from pathlib import Path


class ShowpipeError(Exception):
    """Base of every error the CLI shows as one `Error: …` line and exit code 1."""


class ConfigError(ShowpipeError):
    """The project configuration (showpipe.toml, flags, environment) is wrong or incomplete."""


class ProblemsFound(ShowpipeError):
    """Several independent problems, all reported at once, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ValidationError(ProblemsFound):
    """One or more YAML files are invalid; each problem reads `file:line: field: message`."""


class VerifyError(ProblemsFound):
    """The published show, fetched over HTTP, is not what podcast apps need."""


class EpisodeError(ShowpipeError):
    """An episode cannot be published as it is (missing file, duplicate GUID, …)."""


class MediaError(ShowpipeError):
    """A media or artwork file cannot be read, probed or tagged."""


class StorageError(ShowpipeError):
    """The storage target refused or failed an operation."""


class NotReadyError(StorageError):
    """A storage target failed one of its own readiness steps (`showpipe doctor`'s first)."""

    def __init__(self, step: str, problem: str, fix: str, *, passed: list[tuple[str, str]]):
        super().__init__(f"{problem}; {fix}")
        self.step, self.problem, self.fix, self.passed = step, problem, fix, passed


class ConflictError(StorageError):
    """Another showpipe run changed or holds the storage (manifest or lease) meanwhile."""


class BusyError(ShowpipeError):
    """Another showpipe run on this machine holds the project's lock."""


class ImportFeedError(ShowpipeError):
    """A feed to import cannot be fetched, parsed or turned into this project's files."""


class FeedError(ShowpipeError):
    """A feed could not be built, or would break what subscribers already have."""


class WorkerError(ShowpipeError):
    """A worker process that shared the run's work ended abruptly (killed, out of memory)."""


def shown(path: Path) -> str:
    """A path as a user should read it in a message: relative to where they are, if below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
