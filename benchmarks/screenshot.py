"""Take the README's screenshot: an article page of the demo publication at 1280x900.

    .venv/bin/python benchmarks/screenshot.py [--out docs/screenshot.png] [--url URL]

Without --url it sets up the demo publication in a temporary data directory, serves it with
``newsdesk serve`` on a free loopback port and stops it afterwards. Chromium is started with the
same offline flags as the browser tests.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servers import NEWSDESK, free_port, newsdesk_env, newsdesk_serve  # noqa: E402

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

MAX_BYTES = 400_000


def screenshot(url: str, out: Path) -> int:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url + "/")
            article = page.locator("main .card__title a").first.get_attribute("href")
            response = page.goto(url + str(article))
            if response is None or response.status != 200:
                raise RuntimeError(f"{article} answered {response and response.status}")
            page.wait_for_load_state("networkidle")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), type="png")
        finally:
            browser.close()
    return out.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--url", help="a running newsdesk site (default: start the demo)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        parser.error(f"{CHROMIUM} is missing: apt-get install -y chromium")

    if args.url:
        size = screenshot(args.url.rstrip("/"), args.out)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="newsdesk-screenshot-"))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = None
        try:
            subprocess.run(
                [str(NEWSDESK), "demo", "--no-serve"],
                env=newsdesk_env(data_dir, url),
                check=True,
                capture_output=True,
            )
            server = newsdesk_serve(data_dir=data_dir, port=port, workers=1)
            server.wait_until_up(url + "/")
            size = screenshot(url, args.out)
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"wrote {args.out} ({size:,} bytes)")
    if size > MAX_BYTES:
        print(f"warning: larger than {MAX_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
