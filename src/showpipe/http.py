"""HTTP as showpipe speaks it to other hosts: one User-Agent, one timeout.

Used for notifying apps, `verify`, `doctor` and `import`; S3 goes through botocore's own
settings (storage/s3config.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from showpipe import __version__

if TYPE_CHECKING:  # requests loads in 0.1 s: only commands that go online import it
    import requests

# (connect, read) seconds: a host that stalls fails one request, never hangs a cron run.
TIMEOUT = (10, 30)


def user_agent(purpose: str) -> str:
    """`showpipe/<version> (<purpose>)`: hosts' logs show who asked, and why."""
    return f"showpipe/{__version__} ({purpose})"


def _items(value: Any) -> Any:
    """A hashable stand-in for a mapping argument (proxies), else the value itself."""
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def new_session(purpose: str) -> requests.Session:
    """A session that sends showpipe's User-Agent and times out every request."""
    import requests

    class Session(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}

        def merge_environment_settings(
            self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> dict[str, Any]:
            # requests reads the proxy and CA variables on every request, walking all of
            # os.environ twice: a third of the client's CPU in an import's 4,000 lookups.
            # The environment does not change during a run, so read it once per host.
            origin = urlsplit(url)
            key = (origin.scheme, origin.netloc, _items(proxies), stream, _items(verify), cert)
            merged = self._environment.get(key)
            if merged is None:
                merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
                self._environment[key] = merged
            return {**merged, "proxies": dict(merged["proxies"])}

        # requests has no session-wide timeout; every call goes through here.
        def request(  # type: ignore[override]
            self, method: str, url: str | bytes, **kwargs: Any
        ) -> requests.Response:
            kwargs.setdefault("timeout", TIMEOUT)
            return super().request(method, url, **kwargs)

    session = Session()
    session.headers["User-Agent"] = user_agent(purpose)
    return session
