"""How long podcast apps, browsers and CDNs may keep each kind of object: said once, here.

Sent as each object's Cache-Control when it is stored, by every storage alike.
"""

from __future__ import annotations

# Content-addressed objects (media, artwork, chapters, transcripts): a key names one content
# forever, so a copy never needs checking again.
CONTENT = "public, max-age=31536000, immutable"
# Episode media keep their URL when only their tags change: an hour-old copy at worst, and a
# cache revalidates with the new ETag after that.
REPLACED = "public, max-age=3600"
# Feeds and pages change in place at fixed URLs: apps see a new episode within minutes.
CHANGING = "public, max-age=300"
# showpipe's own records (manifest, site index): always checked, so runs see each other's.
RECORD = "no-cache"
# The lease and doctor's probes: never kept anywhere.
NEVER = "no-store"
