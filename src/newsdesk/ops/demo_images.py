"""Featured images for the demo publication, drawn here with Pillow rather than shipped.

One illustration per topic, a flat picture of the bay in that topic's colours, so that a new
user sees what featured images do (article pages, social cards, the digest) without the project
carrying photographs it has no licence for.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from django.core.files.images import ImageFile
from PIL import Image, ImageColor, ImageDraw
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage

SIZE = (1600, 900)  # 16:9, larger than the largest rendition the site makes (1200 wide)


RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    sky_top: str
    sky_bottom: str
    sun: str
    hills: str
    sea: str
    time_of_day: str


#                         sky top    sky bottom  sun        hills      sea
PALETTES: dict[str, Palette] = {
    "Council": Palette("#2c3e5c", "#a0b4cd", "#faf0d2", "#465a50", "#28466e", "a grey morning"),
    "Business": Palette("#1e5a8c", "#96c8e6", "#ffe696", "#507846", "#145082", "a bright morning"),
    "Sport": Palette("#146eaa", "#aadcf0", "#fff5b4", "#3c8c46", "#146496", "a clear afternoon"),
    "Environment": Palette("#3c505a", "#8ca0a0", "#e6e6dc", "#325a3c", "#32505a", "a stormy sky"),
    "Culture": Palette("#3c1e5a", "#e6785a", "#ffc878", "#322846", "#3c2864", "dusk"),
    "Health": Palette("#5a96be", "#d2e6f0", "#fffadc", "#5a8c6e", "#3c78a0", "a calm morning"),
    "Education": Palette("#286496", "#bed7eb", "#ffebaa", "#648246", "#1e5a8c", "a spring day"),
}
DEFAULT_PALETTE = PALETTES["Council"]


def _rgb(colour: str) -> RGB:
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return red, green, blue


def _blend(first: str | RGB, second: str | RGB, t: float) -> RGB:
    a = _rgb(first) if isinstance(first, str) else first
    b = _rgb(second) if isinstance(second, str) else second
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def bay_picture(palette: Palette) -> bytes:
    """A PNG: sky, sun, two lines of hills, the sea with its swell, a harbour wall."""
    width, height = SIZE
    horizon = int(height * 0.62)
    picture = Image.new("RGB", SIZE, palette.sky_top)
    draw = ImageDraw.Draw(picture)
    for y in range(horizon):
        draw.line(
            [(0, y), (width, y)], fill=_blend(palette.sky_top, palette.sky_bottom, y / horizon)
        )
    draw.ellipse(
        [width * 0.68, height * 0.18, width * 0.68 + 150, height * 0.18 + 150], fill=palette.sun
    )
    for layer, (amplitude, base) in enumerate([(60, 0.50), (40, 0.57)]):
        colour = _blend(palette.hills, palette.sky_bottom, 0.45 - layer * 0.45)
        ridge = [
            (x, height * base - amplitude * (1 + math.sin(x / (170 + layer * 60) + layer * 2)) / 2)
            for x in range(0, width + 20, 20)
        ]
        draw.polygon([(0, horizon), *ridge, (width, horizon)], fill=colour)
    draw.rectangle([0, horizon, width, height], fill=palette.sea)
    light = _blend(palette.sea, palette.sky_bottom, 0.35)
    for row, y in enumerate(range(horizon + 18, height, 34)):
        offset = (row % 2) * 60
        for x in range(-offset, width, 120):
            draw.line([(x, y), (x + 50, y)], fill=light, width=3)
    wall = _blend(palette.hills, (0, 0, 0), 0.35)
    pier = [(0, 0.78), (0.42, 0.72), (0.42, 0.76), (0, 0.84)]
    draw.polygon([(width * x, height * y) for x, y in pier], fill=wall)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def topic_picture_ensure(topic: str) -> tuple[AbstractImage, str]:
    """The topic's illustration (made once, then reused) and its alt text."""
    palette = PALETTES.get(topic, DEFAULT_PALETTE)
    alt = (
        f"Illustration: the hills, the sea and the harbour wall of the bay under "
        f"{palette.time_of_day}"
    )
    title = f"Demo illustration: {topic}"
    image_model = get_image_model()
    image = image_model.objects.filter(title=title).first()
    if image is None:
        name = f"demo-{topic.lower().replace(' ', '-')}.png"
        image = image_model.objects.create(
            title=title, file=ImageFile(io.BytesIO(bay_picture(palette)), name=name)
        )
    return image, alt
