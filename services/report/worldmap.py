"""The countries on a world map (pure): the packaged borders (Natural Earth, see
tools/make_world_map.py) coloured by the activities reported there or by the worst status of
the projects working there, cropped to the countries that have any. Drawn as inline SVG for
the dashboard here, and as the same shapes for the PDF by drawing.map_drawing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

from shared.domain.status import Status, worst
from shared.domain.views import CountryView, ProjectView
from shared.i18n import Messages

MAP_FILE = Path(__file__).parent / "worldmap.json"
NONE = "#e4e7ec"  # a country with nothing reported
ACTIVITY_STEPS = ((1, "#cfe1f2"), (10, "#93bde0"), (50, "#5b97cb"), (200, "#2f6aa8"), (1000, "#12355b"))
STATUS_FILL = {
    Status.ON_TRACK: "#1b7f3b",
    Status.AT_RISK: "#b26a00",
    Status.BEHIND: "#b3261e",
    Status.NO_DATA: "#8a93a3",
}
MARGIN = 60  # around the countries shown, in map units
MIN_WIDTH = 700  # the crop is never narrower: a single country is shown with its neighbours
DOT_RADIUS = 7
_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Borders:
    box: tuple[int, int, int, int]
    shapes: dict[str, str]  # alpha-3 -> SVG path (relative, whole units)
    land: list[str]  # land of no ISO country
    dots: dict[str, tuple[int, int]]  # alpha-3 -> centre, for countries too small to draw
    extents: dict[str, tuple[int, int, int, int]]  # alpha-3 -> x0, y0, x1, y1


def rings(path: str) -> list[list[tuple[int, int]]]:
    """A packaged path's rings in absolute coordinates ("M x y l dx dy ... z" each)."""
    result = []
    for part in path.split("M")[1:]:
        numbers = [int(n) for n in _NUMBER.findall(part)]
        x, y = numbers[0], numbers[1]
        points = [(x, y)]
        for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        result.append(points)
    return result


@cache
def borders() -> Borders:
    data = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    extents = {}
    for code, path in data["shapes"].items():
        points = [p for ring in rings(path) for p in ring]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        extents[code] = (min(xs), min(ys), max(xs), max(ys))
    dots = {code: (x, y) for code, (x, y) in data["dots"].items()}
    for code, (x, y) in dots.items():
        extents[code] = (x - DOT_RADIUS, y - DOT_RADIUS, x + DOT_RADIUS, y + DOT_RADIUS)
    return Borders(tuple(data["box"]), data["shapes"], data["land"], dots, extents)


@dataclass(frozen=True)
class Shaded:
    """A country on the map: its fill and what it says when pointed at."""

    code: str
    fill: str
    title: str


@dataclass(frozen=True)
class WorldMap:
    box: tuple[int, int, int, int]  # the crop: x, y, width, height
    shaded: dict[str, Shaded]
    legend: list[tuple[str, str]]  # (fill, words)


def activity_legend(words: Messages) -> list[tuple[str, str]]:
    """What each colour of the map by activities means, in the language of `words`."""
    steps = ACTIVITY_STEPS
    legend = [(NONE, words.gettext("no activity"))]
    for i, (least, fill) in enumerate(steps):
        last = f"–{words.number(steps[i + 1][0] - 1)}" if i + 1 < len(steps) else ""
        legend.append((fill, f"{words.number(least)}{last}" if last else f"≥ {words.number(least)}"))
    return legend


def status_legend(words: Messages, labels: Mapping[Status, str]) -> list[tuple[str, str]]:
    """What each colour of the map by status means; `labels` the statuses in words."""
    legend = [(STATUS_FILL[status], words.gettext(label)) for status, label in labels.items()]
    return [*legend, (NONE, words.gettext("no project there"))]


def activity_fill(count: int) -> str:
    fill = NONE
    for least, colour in ACTIVITY_STEPS:
        if count >= least:
            fill = colour
    return fill


def country_statuses(projects: Iterable[ProjectView]) -> dict[str, Status]:
    """Each country's worst status among the projects working there."""
    found: dict[str, list[Status]] = {}
    for project in projects:
        for code in project.countries:
            found.setdefault(code, []).append(project.status)
    return {code: worst(statuses) for code, statuses in found.items()}


def shade(
    countries: Mapping[str, CountryView],
    by: str,
    statuses: Mapping[str, Status],
    title: Callable[[CountryView], str],
    legend: list[tuple[str, str]],
) -> WorldMap:
    """The map of `countries` coloured `by` "activity" (activities there) or "status" (the
    worst status of the projects there, `statuses`); `title` says what a country shows."""
    known = borders()
    shaded = {}
    for code, country in countries.items():
        if code not in known.extents:
            continue
        if by == "status":
            fill = STATUS_FILL[statuses[code]] if code in statuses else NONE
        else:
            fill = activity_fill(country.activity_count)
        shaded[code] = Shaded(code, fill, title(country))
    return WorldMap(crop(shaded), shaded, legend)


def crop(shaded: Mapping[str, Shaded]) -> tuple[int, int, int, int]:
    """The part of the world the countries shown are in, with a margin; the whole world
    when there are none."""
    known = borders()
    if not shaded:
        x0, y0, x1, y1 = known.box
        return x0, y0, x1 - x0, y1 - y0
    extents = [known.extents[code] for code in shaded]
    x0, y0 = min(e[0] for e in extents) - MARGIN, min(e[1] for e in extents) - MARGIN
    x1, y1 = max(e[2] for e in extents) + MARGIN, max(e[3] for e in extents) + MARGIN
    if x1 - x0 < MIN_WIDTH:
        middle = (x0 + x1) // 2
        x0, x1 = middle - MIN_WIDTH // 2, middle + MIN_WIDTH // 2
    height = max(y1 - y0, (x1 - x0) // 3)
    return x0, y0, x1 - x0, height


def meets(extent: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> bool:
    """Whether a country's extent (x0, y0, x1, y1) reaches into the crop (x, y, width, height):
    what lies wholly outside it is left out of the page."""
    x, y, width, height = box
    return extent[2] >= x and extent[0] <= x + width and extent[3] >= y and extent[1] <= y + height


def svg(world: WorldMap, label: str) -> str:
    """The map as inline SVG: every country drawn, those shown filled, each linking to its
    row (#country-XXX) with its title; no script, nothing fetched."""
    known = borders()
    x, y, width, height = world.box
    parts = [
        f'<svg viewBox="{x} {y} {width} {height}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<g fill="{NONE}">',
        *(f'<path d="{d}"/>' for d in known.land),
    ]
    for code, d in known.shapes.items():
        if code not in world.shaded and meets(known.extents[code], world.box):
            parts.append(f'<path d="{d}" data-country="{code}"/>')
    parts.append("</g>")
    for code, shaded in world.shaded.items():
        title = f"<title>{escape(shaded.title)}</title>"
        if code in known.shapes:
            drawn = f'<path d="{known.shapes[code]}" fill="{shaded.fill}">{title}</path>'
        else:
            cx, cy = known.dots[code]
            circle = f'cx="{cx}" cy="{cy}" r="{DOT_RADIUS}" fill="{shaded.fill}" stroke="#12355b"'
            drawn = f"<circle {circle}>{title}</circle>"
        parts.append(f'<a href="#country-{code}" data-country="{code}" data-fill="{shaded.fill}">{drawn}</a>')
    parts.append("</svg>")
    return "".join(parts)
