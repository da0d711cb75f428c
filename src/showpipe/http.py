"""HTTP as showpipe speaks it to other hosts: one User-Agent, one timeout.

Used for notifying apps, `verify`, `doctor` and `import`; S3 goes through botocore's own
settings (storage/s3.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from showpipe import __version__

if TYPE_CHECKING:  # requests loads in 0.1 s: only commands that go online import it
    import requests

# (connect, read) seconds: a host that stalls fails one request, never hangs a cron run.
TIMEOUT = (10, 30)


def user_agent(purpose: str) -> str:
    """`showpipe/<version> (<purpose>)`: hosts' logs show who asked, and why."""
    return f"showpipe/{__version__} ({purpose})"


def new_session(purpose: str) -> requests.Session:
    """A session that sends showpipe's User-Agent and times out every request."""
    import requests

    class Session(requests.Session):
        # requests has no session-wide timeout; every call goes through here.
        def request(  # type: ignore[override]
            self, method: str, url: str | bytes, **kwargs: Any
        ) -> requests.Response:
            kwargs.setdefault("timeout", TIMEOUT)
            return super().request(method, url, **kwargs)

    session = Session()
    session.headers["User-Agent"] = user_agent(purpose)
    return session
