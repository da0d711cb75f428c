"""Screenshots of the sample show's web pages for docs/web.md (`make screenshots`).

Publishes a copy of the sample show into a temporary folder, serves it on loopback as
`showpipe serve` does, and photographs the show page and both embeds in Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from showpipe.web.serve import make_app

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
NOW = "2026-11-29T12:00:00Z"
SHOTS = [
    # (file, path, viewport, full page, scheme)
    ("show-page.png", "", (1000, 900), False, "light"),
    ("episode-page-dark.png", "episodes/on-tools.html", (420, 900), False, "dark"),
    ("embed-video.png", "embed/on-tools.html", (640, 360), False, "light"),
    ("embed-audio.png", "embed/pilot.html", (480, 200), False, "light"),
]


def publish_sample(folder: Path) -> Path:
    for name in ("feeds", "episodes"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "showpipe.toml", folder)
    showpipe = [sys.executable, "-m", "showpipe", "-C", str(folder)]
    episodes = sorted(str(p) for p in (folder / "episodes").glob("*.yaml"))
    subprocess.run([*showpipe, "publish", "--now", NOW, *episodes], check=True)
    return folder / "public"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        public = publish_sample(Path(tmp))
        server = make_server("127.0.0.1", 0, make_app(public), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}/"
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for name, path, (width, height), full, scheme in SHOTS:
                page = browser.new_page(
                    viewport={"width": width, "height": height}, color_scheme=scheme
                )
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(IMAGES / name), full_page=full)
                page.close()
            browser.close()
        server.shutdown()
    print(f"wrote {len(SHOTS)} screenshots to {IMAGES}")


if __name__ == "__main__":
    main()
