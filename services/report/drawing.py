"""What the meeting pack's PDF is drawn with: DejaVu Sans (packaged here, with its licence:
it has Cyrillic), the paragraph and table styles, and an indicator's chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Circle, Drawing, String
from reportlab.graphics.shapes import Path as Outline
from reportlab.lib import colors
from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle

from services.report import worldmap
from services.report.pack import Chart
from services.report.worldmap import WorldMap

FONTS = Path(__file__).parent / "fonts"
COLOUR = {
    "on_track": colors.HexColor("#1b7f3b"),
    "at_risk": colors.HexColor("#c77c02"),
    "behind": colors.HexColor("#b3261e"),
    "no_data": colors.HexColor("#6b7280"),
}


@cache
def styles() -> dict[str, ParagraphStyle]:
    pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold")
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="DejaVu", fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="DejaVu-Bold"),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="DejaVu-Bold"),
        "body": body,
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#444444")
        ),
        "heading": ParagraphStyle("heading", parent=body, fontName="DejaVu-Bold", fontSize=8, leading=10),
    }


GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), "DejaVu"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("FONTNAME", (0, 0), (-1, 0), "DejaVu-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ccd4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def table(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    """A grid whose first row is its headings, each wrapped to its column (a Russian heading
    is longer than its English one)."""
    heading = styles()["heading"]
    first, *rest = [list(r) for r in rows]
    first = [Paragraph(escape(cell), heading) if isinstance(cell, str) else cell for cell in first]
    table = Table([first, *rest], colWidths=list(widths), repeatRows=1)
    table.setStyle(GRID)
    return table


def chart(
    chart: Chart, caption: str, as_of: date, width: float = 80 * mm, height: float = 38 * mm
) -> Drawing:
    """Actual (blue), expected path (grey) and target (green), in days since 2025-01-01."""
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 28, 14
    plot.width, plot.height = int(width - 36), int(height - 22)
    start = chart.expected[0][0]

    def days(points: Sequence[tuple[date, float]]) -> list[tuple[float, float]]:
        return [((d - start).days, v) for d, v in points]

    expected = days(chart.expected)
    lines = [expected, [(expected[0][0], chart.target), (expected[-1][0], chart.target)]]
    styles = [colors.HexColor("#8a93a3"), colors.HexColor("#1b7f3b")]
    if chart.actual:
        lines.append(days([(start, chart.expected[0][1]), *chart.actual]))
        styles.append(colors.HexColor("#1f5fa8"))
    plot.data = lines
    for n, colour in enumerate(styles):
        plot.lines[n].strokeColor = colour
        plot.lines[n].strokeWidth = 1.6 if n == 2 else 1
    last = max(expected[-1][0], (as_of - start).days)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, last
    plot.xValueAxis.valueSteps = [
        (date(y, 1, 1) - start).days for y in range(start.year, 2101) if (date(y, 1, 1) - start).days <= last
    ]
    plot.xValueAxis.labelTextFormat = lambda v: str(start.year + round(v / 365.25))
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = "DejaVu", 6
    plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(String(width - 4, height - 8, caption, fontName="DejaVu", fontSize=6, textAnchor="end"))
    return drawing


def _clipped(ring: list[tuple[int, int]], box: tuple[int, int, int, int]) -> list[tuple[float, float]]:
    """The ring cut to the box (Sutherland-Hodgman): a PDF drawing does not clip what it draws."""
    x0, y0, width, height = box
    # Each edge: the axis (0: x, 1: y), its bound, and whether inside is at or above it.
    edges = ((0, x0, True), (0, x0 + width, False), (1, y0, True), (1, y0 + height, False))
    points: list[tuple[float, float]] = [(float(x), float(y)) for x, y in ring]
    for axis, bound, above in edges:

        def inside(
            point: tuple[float, float], axis: int = axis, bound: float = bound, above: bool = above
        ) -> bool:
            return point[axis] >= bound if above else point[axis] <= bound

        def cross(
            a: tuple[float, float], b: tuple[float, float], axis: int = axis, bound: float = bound
        ) -> tuple[float, float]:
            share = (bound - a[axis]) / (b[axis] - a[axis])
            return (
                (bound, a[1] + (b[1] - a[1]) * share) if axis == 0 else (a[0] + (b[0] - a[0]) * share, bound)
            )

        kept: list[tuple[float, float]] = []
        for i, current in enumerate(points):
            previous = points[i - 1]
            if inside(current):
                if not inside(previous):
                    kept.append(cross(previous, current))
                kept.append(current)
            elif inside(previous):
                kept.append(cross(previous, current))
        points = kept
        if not points:
            break
    return points


def map_drawing(world: WorldMap, width: float) -> Drawing:
    """The map for the PDF, `width` points wide: the same crop, shapes and colours as the SVG."""
    known = worldmap.borders()
    x0, y0, box_width, box_height = world.box
    scale = width / box_width
    shown = Drawing(width, box_height * scale)

    def flipped(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * scale, (y0 + box_height - y) * scale

    def add(path: str, fill: str) -> None:
        for ring in worldmap.rings(path):
            points = _clipped(ring, world.box)
            if len(points) < 3:
                continue
            shape = Outline(fillColor=HexColor(fill), strokeColor=colors.white, strokeWidth=0.3)
            shape.moveTo(*flipped(*points[0]))
            for point in points[1:]:
                shape.lineTo(*flipped(*point))
            shape.closePath()
            shown.add(shape)

    for path in known.land:
        add(path, worldmap.NONE)
    for code, path in known.shapes.items():
        if worldmap.meets(known.extents[code], world.box):
            add(path, world.shaded[code].fill if code in world.shaded else worldmap.NONE)
    for code, shaded in world.shaded.items():
        if code in known.dots:
            cx, cy = flipped(*known.dots[code])
            shown.add(Circle(cx, cy, 2, fillColor=HexColor(shaded.fill), strokeColor=HexColor("#12355b")))
    return shown
