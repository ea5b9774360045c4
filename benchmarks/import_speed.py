#!/usr/bin/env python3
"""How fast ``newsdesk import`` reads a large WordPress export, and how much memory it takes.

    .venv/bin/python benchmarks/import_speed.py [--posts 10000]

1. A WordPress export (WXR 1.2) of N generated posts, shaped like those of
   ``tests/importers/samples/wordpress.xml`` (block-editor and classic bodies, two authors,
   categories and tags, a caption and a gallery shortcode, a featured image) is written into a
   temporary folder, with an uploads folder of 50 generated pictures. The words come from a
   small built-in list; nothing is copied from anywhere.
2. A fresh data directory there; ``newsdesk migrate``.
3. Parsing alone, in a child process: posts/s and its peak resident memory (``wait4``).
4. ``newsdesk import --media UPLOADS FILE`` as a child process: wall time (Django's start-up,
   parsing, and saving every article with its pictures, revision and redirects), posts/s and
   peak memory.

The machines are shared: absolute figures drift from run to run. Runs on 2 shared cores,
SQLite, 10,000 posts: without pictures (24.8 MB), parsing 2.7 to 3.5 s (2,889 to 3,639
posts/s, peak 141 to 143 MB, most of it Django's own) and the import 300 s (33 posts/s, peak
201 MB; an earlier run 476 s). With the pictures (26.1 MB, 2026-12-04): parsing 3.7 s (2,708
posts/s, peak 157 MB), the import 338.7 s (30 posts/s, peak 205 MB), the 50 pictures looked
up in 0.01 s. Nearly all of the time is Wagtail's revision, clean and publish per article
(``article_save``), not reading the file. The issue's target is under 10 minutes and 500 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
NEWSDESK = Path(PYTHON).with_name("newsdesk")
SRC = Path(__file__).resolve().parent.parent / "src"
# Distinct pictures in the uploads folder, each an attachment of the export with an id from
# ATTACHMENT_IDS; every post has one as its featured image, one in a caption and a gallery of
# three, so the import stores PICTURES images and rewrites every body.
PICTURES = 50
ATTACHMENT_IDS = 900_000
WORDS = """
council river wall ferry market festival harbour school budget vote flood tide bridge road
plan report meeting week morning evening winter summer town people year local public new
""".split()

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Benchmark Gazette</title><link>https://gazette.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_login><![CDATA[mira]]></wp:author_login>
<wp:author_display_name><![CDATA[Mira Okafor]]></wp:author_display_name></wp:author>
<wp:author><wp:author_login><![CDATA[tomas]]></wp:author_login>
<wp:author_display_name><![CDATA[Tomás Lindqvist]]></wp:author_display_name></wp:author>
"""


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."


def _body(rng: random.Random, n: int) -> str:
    paragraphs = [" ".join(_sentence(rng) for _ in range(3)) for _ in range(6)]
    if n % 2:  # the block editor
        blocks = [f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in paragraphs]
        blocks.insert(3, "<!-- wp:heading -->\n<h2>What happens next</h2>\n<!-- /wp:heading -->")
        return "\n\n".join(blocks)
    return "\n\n".join(
        [
            *paragraphs[:3],
            '[caption id="a" width="300"]<img src="https://gazette.example/wp-content/uploads/'
            f'2024/pic-{n % PICTURES}.jpg" alt="The pier" /> The pier[/caption]',
            *paragraphs[3:],
            f'[gallery ids="{ATTACHMENT_IDS},{ATTACHMENT_IDS + 1},{ATTACHMENT_IDS + 2}"]',
        ]
    )


def write_media(folder: Path) -> None:
    """The uploads folder: PICTURES different JPEGs of 640 × 400, as --media reads it."""
    from PIL import Image

    for k in range(PICTURES):
        path = folder / "2024" / f"pic-{k}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (640, 400), (k * 5 % 256, 90, 200 - k)).save(path, quality=85)


def _attachment(k: int) -> str:
    return (
        f"<item><title>pic-{k}</title><wp:post_id>{ATTACHMENT_IDS + k}</wp:post_id>"
        "<wp:status>inherit</wp:status><wp:post_type>attachment</wp:post_type>"
        f"<wp:attachment_url>https://gazette.example/wp-content/uploads/2024/pic-{k}.jpg"
        "</wp:attachment_url><wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
        f"<wp:meta_value>Picture {k}</wp:meta_value></wp:postmeta></item>\n"
    )


def write_export(path: Path, posts: int) -> None:
    rng = random.Random(9)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for k in range(PICTURES):
            out.write(_attachment(k))
        for n in range(1, posts + 1):
            day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
            slug = f"story-{n}"
            out.write(
                f"<item><title><![CDATA[{_sentence(rng)[:-1]}]]></title>"
                f"<link>https://gazette.example/{day.replace('-', '/')}/{slug}/</link>"
                f"<dc:creator><![CDATA[{'mira' if n % 2 else 'tomas'}]]></dc:creator>"
                f"<content:encoded><![CDATA[{_body(rng, n)}]]></content:encoded>"
                f"<excerpt:encoded><![CDATA[{_sentence(rng)}]]></excerpt:encoded>"
                f"<wp:post_id>{n}</wp:post_id>"
                f"<wp:post_date_gmt><![CDATA[{day} 09:30:00]]></wp:post_date_gmt>"
                f"<wp:post_name><![CDATA[{slug}]]></wp:post_name>"
                f"<wp:status><![CDATA[{'draft' if n % 10 == 0 else 'publish'}]]></wp:status>"
                "<wp:post_type><![CDATA[post]]></wp:post_type>"
                "<wp:post_password><![CDATA[]]></wp:post_password>"
                "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
                f"<wp:meta_value>{ATTACHMENT_IDS + n % PICTURES}</wp:meta_value></wp:postmeta>"
                f'<category domain="category" nicename="c{n % 8}"><![CDATA[Topic {n % 8}]]>'
                f'</category><category domain="post_tag" nicename="t{n % 30}"><![CDATA[Tag '
                f"{n % 30}]]></category></item>\n"
            )
        out.write("</channel>\n</rss>\n")


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    started = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[:2]} failed")
    return elapsed, usage.ru_maxrss / 1024  # kilobytes on Linux


PARSE_ONLY = """
import sys, django
django.setup()
from pathlib import Path
from newsdesk.importers.wxr import parse_wxr
print(len(parse_wxr(Path(sys.argv[1])).articles))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.xml"
        media = Path(folder) / "uploads"
        write_export(export, options.posts)
        write_media(media)
        print(f"{options.posts:,} posts, {export.stat().st_size / 1e6:.1f} MB of WXR", flush=True)
        env = dict(
            os.environ,
            NEWSDESK_DATA_DIR=str(Path(folder) / "data"),
            DJANGO_SETTINGS_MODULE="newsdesk.settings",
            PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            DEBUG="false",
        )
        run_child([str(NEWSDESK), "migrate", "--no-input"], env)
        seconds, peak = run_child([PYTHON, "-c", PARSE_ONLY, str(export)], env)
        print(
            f"parse only: {seconds:.1f} s, {options.posts / seconds:,.0f} posts/s, "
            f"peak RSS {peak:.0f} MB",
            flush=True,
        )
        seconds, peak = run_child(
            [str(NEWSDESK), "import", "--media", str(media), str(export)], env
        )
        print(
            f"newsdesk import: {seconds:.1f} s, {options.posts / seconds:,.0f} posts/s, "
            f"peak RSS {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
