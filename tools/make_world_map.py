"""Make the packaged world map (services/report/worldmap.json) from Natural Earth's country
borders as the npm package world-atlas@2 publishes them (TopoJSON; Natural Earth is in the
public domain, world-atlas is ISC-licensed). Run once by hand when the map should change:

    npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python tools/make_world_map.py package/countries-110m.json package/countries-50m.json

Countries are drawn from the 1:110m borders, in the Equal Earth projection, as SVG paths in
whole units of a 2000-wide box; those too small for that scale (Malta, Singapore, ...) are
dots at their centre, from the 1:50m borders. Antarctica is left out."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parents[1] / "services" / "report" / "worldmap.json"
WIDTH = 2000
A1, A2, A3, A4, M = 1.340264, -0.081106, 0.000893, 0.003796, math.sqrt(3) / 2
X_MAX = 2.7064  # Equal Earth's half width at the equator, lon = 180°
SCALE = WIDTH / (2 * X_MAX)
SOUTH = -58.0  # nothing of a country south of this is drawn (Antarctica is left out)
NORTH = 84.0


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    theta = math.asin(M * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(lon) * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return (x + X_MAX) * SCALE, (TOP - y) * SCALE


def _top() -> float:
    theta = math.asin(M * math.sin(math.radians(NORTH)))
    t2 = theta * theta
    t6 = t2**3
    return theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))


TOP = _top()


def arcs_of(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points += arc[1:] if points else arc
    return points


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def code_of(geometry: dict) -> str | None:
    country = pycountry.countries.get(numeric=str(geometry.get("id", "")).zfill(3))
    return country.alpha_3 if country else None


def path(arcs: list[list[tuple[float, float]]], geometry: dict) -> str:
    """Relative SVG path commands in whole units; rings smaller than a unit are left out."""
    parts = []
    for polygon in polygons(geometry):
        for indexes in polygon:
            points = [equal_earth(lon, lat) for lon, lat in ring(arcs, indexes) if lat > SOUTH]
            whole = []
            for x, y in points:
                p = (round(x), round(y))
                if not whole or p != whole[-1]:
                    whole.append(p)
            if len(whole) < 3:
                continue
            (x0, y0), rest = whole[0], whole[1:]
            steps = " ".join(f"{x - px} {y - py}" for (px, py), (x, y) in zip(whole, rest, strict=False))
            parts.append(f"M{x0} {y0}l{steps}z")
    return "".join(parts)


def centre(arcs: list[list[tuple[float, float]]], geometry: dict) -> tuple[int, int]:
    points = [p for polygon in polygons(geometry) for p in ring(arcs, polygon[0])]
    lon = sum(p[0] for p in points) / len(points)
    lat = sum(p[1] for p in points) / len(points)
    x, y = equal_earth(lon, lat)
    return round(x), round(y)


def main(coarse_file: str, fine_file: str) -> None:
    coarse = json.loads(Path(coarse_file).read_text())
    fine = json.loads(Path(fine_file).read_text())
    arcs = arcs_of(coarse)
    shapes: dict[str, str] = {}
    land = []
    for geometry in coarse["objects"]["countries"]["geometries"]:
        code = code_of(geometry)
        if code == "ATA":
            continue
        drawn = path(arcs, geometry)
        if not drawn:
            continue
        if code:
            shapes[code] = shapes.get(code, "") + drawn
        else:  # land of no ISO country (Kosovo, Northern Cyprus, Somaliland): drawn, not linked
            land.append(drawn)
    fine_arcs = arcs_of(fine)
    dots = {}
    for geometry in fine["objects"]["countries"]["geometries"]:
        code = code_of(geometry)
        if code and code not in shapes and code != "ATA" and polygons(geometry):
            dots[code] = centre(fine_arcs, geometry)
    _, y_max = equal_earth(180, SOUTH)
    box = [0, 0, WIDTH, math.ceil(y_max)]
    source = "Natural Earth (public domain) via world-atlas@2 (ISC), Equal Earth projection"
    document = {"source": source, "box": box, "shapes": shapes, "land": land, "dots": dots}
    OUT.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{len(shapes)} countries, {len(dots)} dots, {len(land)} other lands: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:])
