"""Download measurement through a redirect prefix (OP3, Podtrac, Chartable, Blubrry …).

A measurement service counts a download when an app fetches the enclosure through it, then
redirects the app to the real file. Feeds name the service's URL; the file stays where it is.
"""

from __future__ import annotations

from showpipe.model.fields import URL_PLACEHOLDER


def tracked_url(url: str, prefix: str | None) -> str:
    """The enclosure URL an app fetches for the stored file at `url`.

    Args:
        url: The stored file's absolute URL.
        prefix: The feed's `analytics_prefix`: either with `{url}`, replaced by the whole URL
            (`https://op3.dev/e/{url}`), or ending in `/`, followed by the URL without its
            scheme, the usual form (`https://dts.podtrac.com/redirect.mp3/`).

    Returns:
        `url` itself when there is no prefix.
    """
    if not prefix:
        return url
    if URL_PLACEHOLDER in prefix:
        return prefix.replace(URL_PLACEHOLDER, url)
    return prefix + url.split("://", 1)[-1]
